"""Inbound webhooks under /hooks/: token-authenticated, no session, no CSRF."""
from django.urls import include, path

from apps.alerts import hooks

urlpatterns = [
    path("alertmanager/<str:token>/", hooks.receive, {"kind": "alertmanager"}, name="alertmanager-hook"),
    path("generic/<str:token>/", hooks.receive, {"kind": "generic"}, name="generic-alert-hook"),
    path("changes/", include("apps.changes.hooks_urls")),
    path("gitsync/", include("apps.gitsync.hooks_urls")),
    path("chatops/", include("apps.chatops.hooks_urls")),
    path("", include("apps.notifications.hooks_urls")),
]
