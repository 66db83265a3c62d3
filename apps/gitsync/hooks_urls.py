"""Push webhooks under /hooks/gitsync/ (the trailing slash is optional: senders often drop it)."""

from django.urls import path, re_path

from . import hooks

urlpatterns = [
    path("<str:token>/", hooks.receive, name="gitsync-hook"),
    re_path(r"^(?P<token>[^/]+)$", hooks.receive),
]
