"""Inbound webhooks under /hooks/: token-authenticated, no session, no CSRF."""
urlpatterns: list = []
