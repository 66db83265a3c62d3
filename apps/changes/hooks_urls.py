"""Inbound change webhooks under /hooks/changes/."""
urlpatterns: list = []
