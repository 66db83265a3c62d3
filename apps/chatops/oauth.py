"""“Add to Slack”: Slack's OAuth v2 install flow for a workspace of the active organisation.

1. `/chatops/slack/install/` (an admin) → 302 to `https://slack.com/oauth/v2/authorize` with
   `client_id`, `scope`, `redirect_uri` and a `state`: signed (Django signing, salted), naming the
   organisation, the user and a random nonce kept in that user's session.
2. Slack sends the browser back to `/chatops/slack/oauth/callback/?code=…&state=…`. The state must
   verify, be fresh, match the session's nonce (which is consumed: single use) and the same user
   and organisation; anything else is a 400 and nothing is stored.
3. The code is exchanged at `oauth.v2.access` (client_id/client_secret, code, the same
   redirect_uri), and the bot token is stored encrypted on the workspace (created, or updated
   when this organisation installed it before; a workspace of another organisation is refused).
"""
from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from aiops.exceptions import ActionRefused

from . import conf
from .models import SlackWorkspace

logger = logging.getLogger(__name__)
SALT = "chatops.slack-oauth"
SESSION_KEY = "chatops_slack_oauth_nonce"


class InstallError(ActionRefused):
    code = "install_refused"


def authorize_url(request, *, redirect_uri: str) -> str:
    """Where "Add to Slack" sends the browser; remembers a fresh nonce in the session."""
    if not conf.slack_client_id() or not conf.slack_client_secret():
        raise InstallError(_("The Slack app's client ID and secret are not configured (CHATOPS_SLACK_CLIENT_ID, "
                             "CHATOPS_SLACK_CLIENT_SECRET)."))
    nonce = secrets.token_urlsafe(24)
    request.session[SESSION_KEY] = nonce
    state = signing.dumps({"o": request.organization.pk, "u": request.user.pk, "n": nonce}, salt=SALT)
    query = urlencode({"client_id": conf.slack_client_id(), "scope": conf.slack_scopes(),
                       "redirect_uri": redirect_uri, "state": state})
    return f"{conf.slack_authorize_url()}?{query}"


def check_state(request, state: str) -> int:
    """The organisation ID a callback's state was issued for; consumes the session's nonce."""
    nonce = request.session.pop(SESSION_KEY, None)  # single use, whatever the outcome
    try:
        data = signing.loads(state or "", salt=SALT, max_age=conf.oauth_state_max_age())
    except signing.SignatureExpired:
        raise InstallError(_("The Slack install took too long; start it again.")) from None
    except signing.BadSignature:
        raise InstallError(_("The Slack install request is not valid.")) from None
    if not isinstance(data, dict) or not nonce or not secrets.compare_digest(str(data.get("n", "")), nonce) \
            or data.get("u") != request.user.pk or not isinstance(data.get("o"), int):
        raise InstallError(_("The Slack install request is not valid or was already used; start it again."))
    return data["o"]


def exchange_code(code: str, *, redirect_uri: str) -> dict:
    """oauth.v2.access: the code for the bot token and the team it was installed in."""
    client = WebClient(base_url=conf.slack_api_url(), timeout=10, retry_handlers=[])
    try:
        result = client.oauth_v2_access(client_id=conf.slack_client_id(), client_secret=conf.slack_client_secret(),
                                        code=code, redirect_uri=redirect_uri).data
    except SlackApiError as exc:
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        raise InstallError(_("Slack refused the install: %(error)s") % {"error": data.get("error") or "?"}) from None
    except OSError as exc:
        raise InstallError(_("Slack could not be reached: %(error)s") % {"error": type(exc).__name__}) from None
    team = result.get("team") if isinstance(result.get("team"), dict) else {}
    token = result.get("access_token")
    if result.get("token_type") != "bot" or not isinstance(token, str) or not token.startswith("xoxb-") \
            or not isinstance(team.get("id"), str) or not team["id"]:
        raise InstallError(_("Slack's answer has no bot token for a workspace."))
    return {"team_id": team["id"][:32], "name": str(team.get("name") or "")[:200], "bot_token": token}


@transaction.atomic
def workspace_install(*, organization, user, team_id: str, name: str, bot_token: str) -> SlackWorkspace:
    """Create or update the organisation's workspace with the new bot token (encrypted at rest)."""
    from aiops.access import access_for
    from aiops.roles import Role

    if not access_for(user).has_role(organization.pk, Role.ADMIN):
        raise InstallError(_("Installing Slack needs the admin role in %(org)s.") % {"org": organization.name})
    workspace = SlackWorkspace.objects.select_for_update().filter(team_id=team_id).first()
    if workspace is not None and workspace.organization_id != organization.pk:
        raise InstallError(_("This Slack workspace is connected to another organisation."))
    if workspace is None:
        workspace = SlackWorkspace(organization=organization, team_id=team_id, created_by=user,
                                   signing_secret=conf.slack_signing_secret())
    workspace.name = name or workspace.name
    workspace.bot_token = bot_token
    workspace.enabled = True
    if not workspace.signing_secret:
        workspace.signing_secret = conf.slack_signing_secret()
    workspace.save()
    return workspace
