"""ChatOps fixtures: a Slack workspace of org A, requests signed exactly as Slack signs them, a response_url stub."""
import hashlib
import hmac
import itertools
import time
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.support import slack as slack_contract

from .factories import SIGNING_SECRET, ChatIdentityFactory, SlackWorkspaceFactory

_trigger = itertools.count(1)


def slack_signature(body: bytes, ts: str, secret: str = SIGNING_SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()


def signed(client, body: bytes, *, ts=None, secret=SIGNING_SECRET, signature=None,
           content_type="application/x-www-form-urlencoded"):
    ts = str(int(time.time())) if ts is None else str(ts)
    return client.post(reverse("chatops-slack"), data=body, content_type=content_type,
                       HTTP_X_SLACK_REQUEST_TIMESTAMP=ts,
                       HTTP_X_SLACK_SIGNATURE=slack_signature(body, ts, secret) if signature is None else signature)


response_url_contract = slack_contract.response_url


@pytest.fixture(autouse=True)
def _fresh_replay_cache():
    """Signatures seen by an earlier test (same body, same second) must not count as replays here."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def workspace(org_a):
    return SlackWorkspaceFactory(organization=org_a, team_id="T0ACME", name="Acme Slack")


@pytest.fixture
def linked(workspace, users_a):
    """Slack user IDs linked to each role's user in org A: {'viewer': 'U-VIEWER', ...}."""
    ids = {}
    for role, user in users_a.items():
        ids[role] = f"U{role.upper()}"
        ChatIdentityFactory(organization=workspace.organization, workspace=workspace, external_id=ids[role], user=user)
    return ids


@pytest.fixture
def response_stub(http_stub):
    stub = http_stub(name="slack-response-url")
    stub.validate(response_url_contract)
    stub.set_default(200, body="ok")
    return stub


@pytest.fixture
def command(client, workspace, response_stub, django_capture_on_commit_callbacks):
    """`command(user_id, text)`: a signed slash command; returns (ack response, response_url body)."""
    def send(user_id, text, *, team_id="T0ACME"):
        before = len(response_stub.requests)
        body = urlencode({
            "token": "deprecated", "team_id": team_id, "team_domain": "acme", "channel_id": "C1",
            "channel_name": "ops", "user_id": user_id, "user_name": user_id.lower(), "command": "/aiops",
            "text": text, "api_app_id": "A1", "response_url": response_stub.url + "/commands/T0ACME/1/abc",
            "trigger_id": f"1.2.{next(_trigger)}",  # unique per request, as in Slack
        }).encode()
        with django_capture_on_commit_callbacks(execute=True):
            ack = signed(client, body)
        assert ack.status_code == 200, ack.content
        reqs = response_stub.wait_for(before + 1)
        response_stub.assert_no_contract_errors()
        return ack, reqs[before].json
    return send
