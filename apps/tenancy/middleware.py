"""Sets `request.organization` for portal and admin requests (None without a membership)."""
from .selectors import active_organization_for_request


class ActiveOrganizationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = active_organization_for_request(request)
        return self.get_response(request)
