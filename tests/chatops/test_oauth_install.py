"""“Add to Slack”: OAuth v2 with a signed single-use state; the code exchanged at a loopback oauth.v2.access."""
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from apps.chatops.models import SlackWorkspace
from tests.support import slack as contract

from .factories import SlackWorkspaceFactory

CALLBACK = "http://testserver" + "/chatops/slack/oauth/callback/"
TOKEN = "xoxb-1111-2222-installedtoken"


@pytest.fixture
def slack_app(settings, http_stub):
    stub = http_stub(name="slack-oauth")
    settings.CHATOPS_SLACK_CLIENT_ID = "2141029472.691202649728"
    settings.CHATOPS_SLACK_CLIENT_SECRET = "e1b9e11dfcd19c1982d5de12921e17e8c"
    settings.CHATOPS_SLACK_SIGNING_SECRET = "app-signing-secret"
    settings.CHATOPS_SLACK_API_URL = stub.url + "/api/"
    settings.AIOPS_BASE_URL = ""
    settings.SITE_URL = ""
    stub.validate(contract.oauth_v2_access(settings.CHATOPS_SLACK_CLIENT_ID, settings.CHATOPS_SLACK_CLIENT_SECRET,
                                           CALLBACK))
    stub.set_default(200, json={"ok": True, "access_token": TOKEN, "token_type": "bot", "scope": "commands,chat:write",
                                "bot_user_id": "U0BOT", "app_id": "A0APP",
                                "team": {"id": "T9NEW", "name": "Acme Chat"}, "enterprise": None})
    return stub


def _start(client):
    response = client.get(reverse("chatops:slack-install"))
    assert response.status_code == 302, response.content
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://slack.com/oauth/v2/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == "2141029472.691202649728"
    assert "commands" in query["scope"].split(",") and "chat:write" in query["scope"].split(",")
    assert query["redirect_uri"] == CALLBACK
    return query["state"]


def _callback(client, state, code="4724469134.4644010092847.232b"):
    return client.get(reverse("chatops:slack-oauth-callback"), {"code": code, "state": state})


def test_install_creates_the_workspace_with_the_encrypted_bot_token(client, slack_app, users_a, org_a):
    from django.db import connection

    client.force_login(users_a["admin"])
    state = _start(client)
    response = _callback(client, state)
    assert response.status_code == 200, response.content
    slack_app.assert_no_contract_errors()
    assert len(slack_app.requests) == 1
    workspace = SlackWorkspace.objects.get(team_id="T9NEW")
    assert (workspace.organization, workspace.name, workspace.bot_token, workspace.signing_secret) == (
        org_a, "Acme Chat", TOKEN, "app-signing-secret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT bot_token FROM chatops_slack_workspaces WHERE id = %s", [workspace.pk])
        assert TOKEN not in cursor.fetchone()[0]  # encrypted at rest


def test_reinstall_updates_the_token(client, slack_app, users_a, org_a):
    existing = SlackWorkspaceFactory(organization=org_a, team_id="T9NEW", bot_token="xoxb-old", name="Old")
    client.force_login(users_a["owner"])
    assert _callback(client, _start(client)).status_code == 200
    existing.refresh_from_db()
    assert (existing.bot_token, existing.name, SlackWorkspace.objects.count()) == (TOKEN, "Acme Chat", 1)


def test_replayed_forged_or_foreign_state_is_a_400_and_stores_nothing(client, slack_app, users_a, users_b):
    client.force_login(users_a["admin"])
    state = _start(client)
    assert _callback(client, state).status_code == 200
    SlackWorkspace.objects.all().delete()
    assert _callback(client, state).status_code == 400  # replayed: the nonce was used
    assert _callback(client, state[:-2] + "xx").status_code == 400  # forged
    _start(client)
    assert _callback(client, "").status_code == 400  # no state (and the pending nonce is spent)
    stolen = _start(client)
    client.force_login(users_b["owner"])  # another user's session
    assert _callback(client, stolen).status_code == 400
    assert not SlackWorkspace.objects.exists()
    assert len(slack_app.requests) == 1  # no code was exchanged after the first


def test_workspace_of_another_org_and_slack_errors_are_refused(client, slack_app, users_a, org_b):
    SlackWorkspaceFactory(organization=org_b, team_id="T9NEW", bot_token="xoxb-theirs")
    client.force_login(users_a["admin"])
    response = _callback(client, _start(client))
    assert response.status_code == 400 and b"another organisation" in response.content
    assert SlackWorkspace.objects.get(team_id="T9NEW").bot_token == "xoxb-theirs"
    slack_app.respond(200, json={"ok": False, "error": "invalid_code"})
    response = _callback(client, _start(client))
    assert response.status_code == 400 and b"invalid_code" in response.content


def test_only_admins_start_an_install(client, slack_app, users_a):
    client.force_login(users_a["operator"])
    assert client.get(reverse("chatops:slack-install")).status_code == 403
