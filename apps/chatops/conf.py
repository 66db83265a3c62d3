"""ChatOps settings, with defaults (override in the environment-driven settings)."""
import os

from django.conf import settings


def link_max_age() -> int:
    """Seconds a "link your account" button stays valid."""
    return int(getattr(settings, "CHATOPS_LINK_MAX_AGE", 15 * 60))


def replay_window() -> int:
    """Seconds a signed Slack request is accepted after its timestamp (Slack: five minutes)."""
    return int(getattr(settings, "CHATOPS_REPLAY_WINDOW", 300))


def max_silence_hours() -> int:
    return int(getattr(settings, "CHATOPS_MAX_SILENCE_HOURS", 7 * 24))


def default_silence() -> str:
    """What the Silence button on an alert message silences for."""
    return str(getattr(settings, "CHATOPS_DEFAULT_SILENCE", "1h"))


# "Add to Slack" (OAuth v2): the Slack app's credentials, from its Basic Information page.
def slack_client_id() -> str:
    return str(getattr(settings, "CHATOPS_SLACK_CLIENT_ID", "") or "")


def slack_client_secret() -> str:
    return str(getattr(settings, "CHATOPS_SLACK_CLIENT_SECRET", "") or "")


def slack_signing_secret() -> str:
    """The distributed app's signing secret, given to each workspace installed through OAuth."""
    return str(getattr(settings, "CHATOPS_SLACK_SIGNING_SECRET", "") or "")


def slack_scopes() -> str:
    return str(getattr(settings, "CHATOPS_SLACK_SCOPES", "commands,chat:write,channels:manage,groups:write,"
                                                         "pins:write,users:read"))


def slack_authorize_url() -> str:
    return str(getattr(settings, "CHATOPS_SLACK_AUTHORIZE_URL", "https://slack.com/oauth/v2/authorize"))


def slack_api_url() -> str:
    """The Web API base for oauth.v2.access (the notifications app's setting, so one knob for tests)."""
    from apps.notifications.conf import slack_api_url as notifications_api_url

    return str(getattr(settings, "CHATOPS_SLACK_API_URL", "") or notifications_api_url())


def oauth_state_max_age() -> int:
    return int(getattr(settings, "CHATOPS_OAUTH_STATE_MAX_AGE", 10 * 60))


def slack_app_token() -> str:
    """An app-level token (xapp-…) for Socket Mode, used by workspaces that have none of their own."""
    return str(getattr(settings, "CHATOPS_SLACK_APP_TOKEN", "") or os.environ.get("CHATOPS_SLACK_APP_TOKEN", ""))
