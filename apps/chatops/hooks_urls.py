"""ChatOps callbacks under /hooks/chatops/ (signature-authenticated, no session, no CSRF)."""
from django.urls import path

from . import hooks

urlpatterns = [
    path("slack/", hooks.slack, name="chatops-slack"),
    path("teams/<int:webhook_id>/", hooks.teams, name="chatops-teams"),
]
