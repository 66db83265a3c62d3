"""Provider callbacks under /hooks/ (signature-authenticated, no session): Slack buttons, PagerDuty."""
from django.urls import path

from . import hooks

urlpatterns = [
    path("slack/<int:channel_id>/", hooks.slack_interaction, name="slack-interaction"),
    path("pagerduty/<int:channel_id>/", hooks.pagerduty_webhook, name="pagerduty-webhook"),
]
