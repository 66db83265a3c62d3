"""Inbound change webhooks under /hooks/changes/ (the trailing slash is optional: senders often drop it)."""

from django.urls import re_path

from . import hooks

urlpatterns = [
    re_path(r"^(?P<token>[^/]+)/?$", hooks.receive, name="changes-hook"),
]
