"""Response headers every page carries: a Content-Security-Policy (same-origin scripts only)."""
from django.conf import settings

# Swagger UI (drf-spectacular) loads its scripts from a CDN with an inline bootstrap.
CSP_EXEMPT_PREFIXES = ("/api/docs/",)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.AIOPS_CONTENT_SECURITY_POLICY
        if policy and not request.path.startswith(CSP_EXEMPT_PREFIXES):
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
