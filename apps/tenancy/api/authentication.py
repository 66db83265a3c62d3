"""`Authorization: Bearer aiops_<prefix>_<secret>` (or `Token ...`) authentication for the API."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from aiops.auth import api_auth_failed, api_auth_locked, client_ip

from ..services import api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        ip = client_ip(request)
        if api_auth_locked(ip):
            raise exceptions.Throttled(wait=60, detail="Too many failed authentications from this address.")
        if len(header) != 2:
            api_auth_failed(ip)
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        token = api_token_authenticate(header[1])
        if token is None:
            api_auth_failed(ip)
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API token.")
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenancy.api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "aiops_<prefix>_<secret>"}
