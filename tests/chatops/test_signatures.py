"""The Slack endpoint accepts only requests signed as Slack signs them; Teams only HMAC-signed ones."""
import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from django.urls import reverse

from .conftest import signed, slack_signature
from .factories import TEAMS_SECRET, TeamsWebhookFactory

BODY = urlencode({"team_id": "T0ACME", "user_id": "U1", "command": "/aiops", "text": "help",
                  "response_url": "http://127.0.0.1:9/x"}).encode()


def test_valid_signature_is_acknowledged_at_once(client, workspace):
    started = time.monotonic()
    response = signed(client, BODY)
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert time.monotonic() - started < 3


def test_forged_signature_refused(client, workspace):
    assert signed(client, BODY, secret="not-the-secret").status_code == 403
    assert signed(client, BODY, signature="v0=" + "0" * 64).status_code == 403
    assert signed(client, BODY, signature="").status_code == 403


def test_tampered_body_refused(client, workspace):
    ts = str(int(time.time()))
    sig = slack_signature(BODY, ts)
    tampered = BODY.replace(b"help", b"ack+1")
    assert signed(client, tampered, ts=ts, signature=sig).status_code == 403


def test_stale_and_future_timestamps_refused(client, workspace):
    assert signed(client, BODY, ts=int(time.time()) - 301).status_code == 403
    assert signed(client, BODY, ts=int(time.time()) + 400).status_code == 403
    assert signed(client, BODY, ts="abc").status_code == 403


def test_replayed_request_refused(client, workspace):
    ts = str(int(time.time()))
    sig = slack_signature(BODY, ts)
    assert signed(client, BODY, ts=ts, signature=sig).status_code == 200
    replay = signed(client, BODY, ts=ts, signature=sig)
    assert replay.status_code == 403
    assert replay.json()["error"]["code"] == "replayed"


def test_unknown_or_other_workspace_secret_refused(client, workspace, org_b):
    from .factories import SlackWorkspaceFactory

    SlackWorkspaceFactory(organization=org_b, team_id="T0OTHER", signing_secret="other-secret")
    body = BODY.replace(b"T0ACME", b"T0OTHER")
    assert signed(client, body).status_code == 403  # signed with Acme's secret
    assert signed(client, BODY.replace(b"T0ACME", b"T0NOPE")).status_code == 403


def test_url_verification_challenge(client, workspace):
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "team_id": "T0ACME"}).encode()
    response = signed(client, body, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"challenge": "abc123"}


def test_malformed_body_is_4xx(client, workspace):
    assert signed(client, b"payload=%7Bnot-json").status_code == 400
    assert signed(client, b"\xff\xfe").status_code == 400
    assert client.get(reverse("chatops-slack")).status_code == 405


def _teams_sig(body: bytes, secret: str = TEAMS_SECRET) -> str:
    return "HMAC " + base64.b64encode(hmac.new(base64.b64decode(secret), body, hashlib.sha256).digest()).decode()


def test_teams_hmac_verified_and_answered_inline(client, org_a):
    from tests.incidents.factories import IncidentFactory

    hook = TeamsWebhookFactory(organization=org_a)
    IncidentFactory(organization=org_a, title="Checkout is down")
    body = json.dumps({"type": "message", "text": "<at>AIOps</at> incidents", "from": {"name": "Jane"}}).encode()
    url = reverse("chatops-teams", args=[hook.pk])
    ok = client.post(url, data=body, content_type="application/json", HTTP_AUTHORIZATION=_teams_sig(body))
    assert ok.status_code == 200
    assert ok.json()["type"] == "message" and "Checkout is down" in ok.json()["text"]
    forged = client.post(url, data=body, content_type="application/json",
                         HTTP_AUTHORIZATION=_teams_sig(body, base64.b64encode(b"x" * 32).decode()))
    assert forged.status_code == 401
    tampered = client.post(url, data=body.replace(b"incidents", b"status"), content_type="application/json",
                           HTTP_AUTHORIZATION=_teams_sig(body))
    assert tampered.status_code == 401
    assert client.post(url, data=body, content_type="application/json").status_code == 401


def test_teams_refuses_write_commands(client, org_a):
    from tests.alerts.factories import AlertFactory

    hook = TeamsWebhookFactory(organization=org_a)
    alert = AlertFactory(organization=org_a)
    body = json.dumps({"type": "message", "text": f"<at>AIOps</at> ack {alert.pk}"}).encode()
    response = client.post(reverse("chatops-teams", args=[hook.pk]), data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=_teams_sig(body))
    assert response.status_code == 200 and "read commands only" in response.json()["text"]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
