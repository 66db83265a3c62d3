"""The generic change webhook (the plan's payload; also Jenkins, Kubernetes): accept, replay, refuse."""

import json

import pytest

from apps.changes.models import ChangeEvent, ChangeSource
from tests.changes.conftest import post_change
from tests.changes.factories import ChangeSourceFactory

PLAN_PAYLOAD = {
    "event_type": "deployment",
    "source": "github",
    "service": "payment-service",
    "environment": "production",
    "version": "v2.3.1",
    "previous_version": "v2.3.0",
    "description": "Deploy payment service with new retry logic",
    "user": "developer@example.com",
    "commit_sha": "abc123",
    "timestamp": "2024-12-08T10:30:00Z",
    "status": "completed",
    "metadata": {"pr_number": 456, "jira_ticket": "PAY-789"},
}


@pytest.mark.django_db
def test_the_plans_payload_is_recorded_and_announced(client, generic_source, received, commit):
    with commit():
        response = post_change(client, generic_source, PLAN_PAYLOAD)
    assert response.status_code == 202, response.content
    assert response.json()["result"] == "created"
    change = ChangeEvent.objects.get()
    assert (change.event_type, change.source, change.service, change.environment) == (
        "deployment",
        "github",
        "payment-service",
        "production",
    )
    assert (change.version, change.previous_version, change.author, change.commit_sha) == (
        "v2.3.1",
        "v2.3.0",
        "developer@example.com",
        "abc123",
    )
    assert change.started_at.isoformat() == "2024-12-08T10:30:00+00:00"
    assert change.metadata == {"pr_number": 456, "jira_ticket": "PAY-789"}
    assert change.change_source == generic_source and change.organization == generic_source.organization
    assert change.external_id.startswith("sha256:")  # no id sent: a fingerprint keeps replays idempotent
    [event] = [e for e in received if e["name"] == "change.recorded"]
    assert event["data"]["change_id"] == change.pk and event["data"]["is_new"] is True
    assert (
        event["data"]["timestamp"] == "2024-12-08T10:30:00+00:00" and event["data"]["user"] == "developer@example.com"
    )
    generic_source.refresh_from_db()
    assert generic_source.last_received_at is not None


@pytest.mark.django_db
def test_the_briefs_short_names_are_accepted(client, generic_source, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    body = {
        "type": "deployment",
        "service": "payment-service",
        "version": "v2.3.1",
        "previous": "v2.3.0",
        "who": "developer@company.com",
        "when": "2024-12-08 15:00:00",
    }
    assert post_change(client, generic_source, body).status_code == 202
    change = ChangeEvent.objects.get()
    assert change.previous_version == "v2.3.0" and change.author == "developer@company.com"
    # a time without a zone is read in the server's TIME_ZONE (15:00 in Berlin is 14:00 UTC in December)
    assert change.started_at.isoformat() == "2024-12-08T14:00:00+00:00"


@pytest.mark.django_db
def test_replays_are_idempotent_and_status_updates_merge(client, generic_source, received, commit):
    started = {**PLAN_PAYLOAD, "external_id": "deploy-991", "status": "started"}
    with commit():
        assert post_change(client, generic_source, started).json()["result"] == "created"
        assert post_change(client, generic_source, started).json()["result"] == "unchanged"
        done = {**started, "status": "completed", "finished_at": "2024-12-08T10:34:00Z"}
        assert post_change(client, generic_source, done).json()["result"] == "updated"
        assert post_change(client, generic_source, done).json()["result"] == "unchanged"
        # a late "started" never turns a finished change back
        assert post_change(client, generic_source, started).json()["result"] == "unchanged"
    change = ChangeEvent.objects.get()
    assert change.status == "completed" and change.duration_seconds == 240
    assert [e["data"]["is_new"] for e in received if e["name"] == "change.recorded"] == [True, False]


@pytest.mark.django_db
def test_a_replay_without_an_id_is_the_same_change(client, generic_source):
    for _ in range(3):
        assert post_change(client, generic_source, PLAN_PAYLOAD).status_code == 202
    assert ChangeEvent.objects.count() == 1


@pytest.mark.django_db
def test_jenkins_source_and_previous_version_inferred(client, org_a):
    jenkins = ChangeSourceFactory(organization=org_a, kind="jenkins", default_environment="production")
    first = {
        "event_type": "deployment",
        "service": "checkout",
        "version": "41",
        "timestamp": "2024-12-06T09:00:00Z",
    }
    second = {
        **first,
        "version": "42",
        "timestamp": "2024-12-06T15:00:00Z",
        "external_id": "deploy-checkout#42",
    }
    assert post_change(client, jenkins, first).status_code == 202
    assert post_change(client, jenkins, second).status_code == 202
    change = ChangeEvent.objects.get(version="42")
    assert change.source == "jenkins" and change.environment == "production"
    assert change.previous_version == "41"  # the last recorded version of the same service and environment


@pytest.mark.django_db
def test_unknown_source_names_are_kept_not_refused(client, generic_source):
    assert post_change(client, generic_source, {**PLAN_PAYLOAD, "source": "spinnaker"}).status_code == 202
    change = ChangeEvent.objects.get()
    assert change.source == "other" and change.metadata["source_name"] == "spinnaker"


BAD_BODIES = [
    (b"{not json", "body"),
    (b"\xff\xfe", "body"),
    (json.dumps([PLAN_PAYLOAD]), "body"),
    (json.dumps({**PLAN_PAYLOAD, "event_type": "party"}), "event_type"),
    (json.dumps({**PLAN_PAYLOAD, "status": "exploded"}), "status"),
    (json.dumps({**PLAN_PAYLOAD, "timestamp": "yesterday"}), "timestamp"),
    (json.dumps({**PLAN_PAYLOAD, "metadata": ["a"]}), "metadata"),
    (json.dumps({**PLAN_PAYLOAD, "service": {"name": "x"}}), "service"),
    (json.dumps({**PLAN_PAYLOAD, "service": "x" * 300}), "service"),
    (json.dumps({"event_type": "deployment"}), "service"),
    (json.dumps({**PLAN_PAYLOAD, "finished_at": "2024-12-08T10:00:00Z"}), "finished_at"),
    (json.dumps({**PLAN_PAYLOAD, "duration_seconds": -5}), "duration_seconds"),
    (json.dumps({**PLAN_PAYLOAD, "url": "javascript:alert(1)"}), "url"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_bodies_are_a_clear_400_and_store_nothing(client, generic_source, body, field):
    response = post_change(client, generic_source, body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_payload" and field in error["fields"], error
    assert not ChangeEvent.objects.exists()


@pytest.mark.django_db
def test_front_door_refusals(client, generic_source, settings):
    url_post = post_change
    assert client.get(f"/hooks/changes/{generic_source.token}/").status_code == 405
    unknown = ChangeSource(token="nope")
    assert url_post(client, unknown, PLAN_PAYLOAD).json()["error"]["code"] == "unknown_source"
    assert url_post(client, generic_source, "a=b", content_type="application/x-www-form-urlencoded").status_code == 415
    settings.CHANGES_MAX_BODY_BYTES = 100
    assert url_post(client, generic_source, {**PLAN_PAYLOAD, "description": "x" * 200}).status_code == 413
    settings.CHANGES_MAX_BODY_BYTES = 1024 * 1024
    ChangeSource.objects.filter(pk=generic_source.pk).update(enabled=False)
    assert url_post(client, generic_source, PLAN_PAYLOAD).status_code == 403
    assert not ChangeEvent.objects.exists()


@pytest.mark.django_db
def test_a_url_without_trailing_slash_works_too(client, generic_source):
    response = client.post(
        f"/hooks/changes/{generic_source.token}",
        data=json.dumps(PLAN_PAYLOAD),
        content_type="application/json",
    )
    assert response.status_code == 202


@pytest.mark.django_db
def test_a_source_secret_requires_the_bearer_token(client, org_a):
    source = ChangeSourceFactory(organization=org_a, kind="kubernetes", secret="s3cr3t")
    response = post_change(client, source, PLAN_PAYLOAD)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert post_change(client, source, PLAN_PAYLOAD, headers={"HTTP_AUTHORIZATION": "Bearer wrong"}).status_code == 401
    ok = post_change(client, source, PLAN_PAYLOAD, headers={"HTTP_AUTHORIZATION": "Bearer s3cr3t"})
    assert ok.status_code == 202 and ChangeEvent.objects.get().source == "github"  # the body's source wins


@pytest.mark.django_db
def test_rate_limit_per_source(client, org_a):
    from django.core.cache import cache

    cache.clear()  # counters live in the cache, keyed by source id (ids repeat across tests)
    source = ChangeSourceFactory(organization=org_a, rate_limit_per_minute=2)
    codes = [post_change(client, source, {**PLAN_PAYLOAD, "external_id": str(i)}).status_code for i in range(3)]
    assert codes[:2] == [202, 202] and codes[2] == 429
    assert ChangeEvent.objects.count() == 2
