"""Push webhooks with real signatures per provider: accepted, wrong secret refused, replay ignored,
other branches and pings answered 200, bad bodies a 4xx that changes nothing; then the sync runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import pytest
from django.test import Client

from apps.gitsync.choices import SyncStatus, Trigger, WebhookProvider
from apps.gitsync.models import PushDelivery, Repository
from apps.gitsync.tasks import tick
from apps.runbooks.models import Runbook

from .conftest import runbook_yaml

pytestmark = pytest.mark.django_db
SECRET = "webhook-s3cret"


@pytest.fixture
def hooked(git_repo, make_repository):
    def make(provider):
        git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
        return make_repository(git_repo.url, webhook_provider=provider, webhook_secret=SECRET)

    return make


def _sig(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def deliver(repository, provider, body: dict, *, secret_ok=True, delivery=None, event=None):
    raw = json.dumps(body).encode()
    delivery = delivery or str(uuid.uuid4())
    headers = {}
    sig = _sig(raw) if secret_ok else _sig(b"tampered")
    if provider == WebhookProvider.GITHUB:
        headers = {"HTTP_X_HUB_SIGNATURE_256": f"sha256={sig}", "HTTP_X_GITHUB_EVENT": event or "push",
                   "HTTP_X_GITHUB_DELIVERY": delivery}
    elif provider == WebhookProvider.GITLAB:
        headers = {"HTTP_X_GITLAB_TOKEN": SECRET if secret_ok else "wrong", "HTTP_X_GITLAB_EVENT": event or "Push Hook",
                   "HTTP_X_GITLAB_EVENT_UUID": delivery}
    elif provider == WebhookProvider.GITEA:
        headers = {"HTTP_X_GITEA_SIGNATURE": sig, "HTTP_X_GITEA_EVENT": event or "push",
                   "HTTP_X_GITEA_DELIVERY": delivery}
    elif provider == WebhookProvider.BITBUCKET:
        headers = {"HTTP_X_HUB_SIGNATURE": f"sha256={sig}", "HTTP_X_EVENT_KEY": event or "repo:push",
                   "HTTP_X_REQUEST_UUID": delivery}
    return Client().post(f"/hooks/gitsync/{repository.webhook_token}/", raw, content_type="application/json", **headers)


def push_body(provider, ref="refs/heads/main", after="0" * 40):
    if provider == WebhookProvider.BITBUCKET:
        kind, name = ("tag", ref.removeprefix("refs/tags/")) if ref.startswith("refs/tags/") else (
            "branch", ref.removeprefix("refs/heads/"))
        return {"push": {"changes": [{"new": {"type": kind, "name": name, "target": {"hash": after}}}]}}
    return {"ref": ref, "after": after, "repository": {"full_name": "acme/runbooks"}}


@pytest.mark.parametrize("provider", [WebhookProvider.GITHUB, WebhookProvider.GITLAB, WebhookProvider.GITEA,
                                      WebhookProvider.BITBUCKET])
def test_a_signed_push_requests_a_sync_and_a_replay_is_ignored(provider, hooked, django_capture_on_commit_callbacks):
    repository = hooked(provider)
    with django_capture_on_commit_callbacks(execute=True):  # eager Celery: the queued sync runs here
        response = deliver(repository, provider, push_body(provider), delivery="d-1")
    assert response.status_code == 202, response.content
    run = repository.runs.get()
    assert run.trigger == Trigger.WEBHOOK and run.status == SyncStatus.SUCCEEDED
    assert Runbook.objects.filter(slug="alpha").exists()
    replay = deliver(repository, provider, push_body(provider), delivery="d-1")
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert PushDelivery.objects.filter(repository=repository).count() == 1


@pytest.mark.parametrize("provider", [WebhookProvider.GITHUB, WebhookProvider.GITLAB, WebhookProvider.GITEA,
                                      WebhookProvider.BITBUCKET])
def test_a_wrong_signature_is_refused_and_changes_nothing(provider, hooked):
    repository = hooked(provider)
    response = deliver(repository, provider, push_body(provider), secret_ok=False)
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_signature"
    repository.refresh_from_db()
    assert repository.sync_requested_at is None and not PushDelivery.objects.exists()


def test_other_branches_pings_and_other_events_are_answered_but_ignored(hooked):
    repository = hooked(WebhookProvider.GITHUB)
    other = deliver(repository, WebhookProvider.GITHUB, push_body(WebhookProvider.GITHUB, ref="refs/heads/feature"))
    assert other.status_code == 200 and other.json()["status"] == "ignored"
    ping = deliver(repository, WebhookProvider.GITHUB, {"zen": "hi"}, event="ping")
    assert ping.json() == {"status": "pong"}
    issue = deliver(repository, WebhookProvider.GITHUB, {"action": "opened"}, event="issues")
    assert issue.json()["status"] == "ignored"
    repository.refresh_from_db()
    assert repository.sync_requested_at is None and not PushDelivery.objects.exists()


def test_bad_requests_are_clear_4xx(hooked):
    repository = hooked(WebhookProvider.GITHUB)
    client = Client()
    url = f"/hooks/gitsync/{repository.webhook_token}/"
    assert client.get(url).status_code == 405
    assert client.post("/hooks/gitsync/not-a-token/", b"{}", content_type="application/json").status_code == 404
    assert client.post(url, b"a=b", content_type="application/x-www-form-urlencoded").status_code == 415
    raw = b'{"ref": "refs/heads/main", "x": NaN'
    bad = client.post(url, raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=f"sha256={_sig(raw)}",
                      HTTP_X_GITHUB_EVENT="push", HTTP_X_GITHUB_DELIVERY="x")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_payload"
    assert not PushDelivery.objects.exists()


def test_a_lost_sync_message_is_picked_up_by_the_beat_tick(hooked, monkeypatch, django_capture_on_commit_callbacks):
    from apps.gitsync import tasks

    repository = hooked(WebhookProvider.GITHUB)
    Repository.objects.filter(pk=repository.pk).update(next_sync_at=None)
    monkeypatch.setattr(tasks, "enqueue_sync", lambda *args, **kwargs: None)  # the broker lost the message
    assert deliver(repository, WebhookProvider.GITHUB, push_body(WebhookProvider.GITHUB)).status_code == 202
    repository.refresh_from_db()
    assert repository.sync_requested_at is not None and not repository.runs.exists()
    assert tick() == 1  # eager Celery runs the sync
    run = repository.runs.get()
    assert run.trigger == Trigger.WEBHOOK and run.status == SyncStatus.SUCCEEDED
    repository.refresh_from_db()
    assert repository.sync_requested_at is None
    assert tick() == 0  # not due again until its interval passes
