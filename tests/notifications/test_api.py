"""The REST API under /api/v1/notifications/: write-only secrets, validation, roles, actions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.notifications.models import EscalationPolicy, NotificationChannel, NotificationDelivery

from .conftest import alert_event
from .factories import EscalationFactory, NotificationDeliveryFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/notifications"


@pytest.fixture
def admin_api(users_a, org_a, api_client_for):
    return api_client_for(users_a["admin"], org_a)


def test_channel_config_is_write_only_and_merged(admin_api, http_stub):
    hook = http_stub(name="hook")
    response = admin_api.post(
        f"{BASE}/channels/",
        {"name": "Ops hook", "kind": "webhook", "config": {"url": hook.url + "/x", "hmac_secret": "s3cr3t"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "config" not in body and body["config_set"] is True
    assert "s3cr3t" not in response.content.decode() and body["summary"].startswith("POST 127.0.0.1")
    pk = body["id"]
    patched = admin_api.patch(f"{BASE}/channels/{pk}/", {"config": {"method": "PUT"}}, format="json")
    assert patched.status_code == 200, patched.content
    assert NotificationChannel.objects.get(pk=pk).config == {
        "url": hook.url + "/x",
        "hmac_secret": "s3cr3t",
        "method": "PUT",
    }
    renamed = admin_api.patch(f"{BASE}/channels/{pk}/", {"name": "Renamed"}, format="json")
    assert (
        renamed.status_code == 200
        and NotificationChannel.objects.get(pk=pk).config["hmac_secret"] == "s3cr3t"
    )


def test_invalid_channel_is_a_400_with_fields(admin_api):
    response = admin_api.post(
        f"{BASE}/channels/", {"name": "x", "kind": "pagerduty", "config": {}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["config"]
    response = admin_api.post(
        f"{BASE}/channels/",
        {"name": "x", "kind": "pagerduty", "config": {"routing_key": "k", "api_url": "nope"}},
        format="json",
    )
    assert response.status_code == 400 and "api_url" in str(response.json()["error"]["fields"]["config"])
    assert not NotificationChannel.objects.exists()


def test_send_test_notification(admin_api, slack, slack_bot_channel, users_a, org_a, api_client_for):
    response = admin_api.post(f"{BASE}/channels/{slack_bot_channel.pk}/test/")
    assert response.status_code == 200 and response.json()["status"] == "sent"
    assert response.json()["kind"] == "test" and len(slack.requests) == 1
    slack.respond(500, body="down")
    failed = admin_api.post(f"{BASE}/channels/{slack_bot_channel.pk}/test/")
    assert failed.status_code == 502 and failed.json()["status"] == "failed"
    operator = api_client_for(users_a["operator"], org_a)
    assert operator.post(f"{BASE}/channels/{slack_bot_channel.pk}/test/").status_code == 403


def test_rules_validate_and_stay_in_the_organisation(admin_api, make_channel, org_b):
    mine = make_channel("webhook", url="https://example.com/a")
    theirs = make_channel("webhook", organization=org_b, url="https://example.com/b")
    ok = admin_api.post(
        f"{BASE}/rules/",
        {
            "name": "Critical",
            "trigger_on": ["alert_received"],
            "severity_filter": ["critical"],
            "channels": [mine.pk],
            "alert_name_pattern": "Database.*",
            "alert_name_mode": "regex",
        },
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["rate_limit_count"] == 10 and ok.json()["grouping"] == "per_incident"
    foreign = admin_api.post(
        f"{BASE}/rules/",
        {"name": "x", "trigger_on": ["alert_received"], "channels": [theirs.pk]},
        format="json",
    )
    assert foreign.status_code == 400 and "channels" in foreign.json()["error"]["fields"]
    bad = admin_api.post(
        f"{BASE}/rules/",
        {
            "name": "x",
            "trigger_on": ["alert_received"],
            "label_matchers": [{"label": "env", "op": "regex", "value": "("}],
        },
        format="json",
    )
    assert bad.status_code == 400 and "label_matchers" in bad.json()["error"]["fields"]


def test_escalation_policies_with_levels(admin_api, make_channel):
    pager, lead = (
        make_channel("webhook", url="https://e.com/1"),
        make_channel("webhook", url="https://e.com/2"),
    )
    levels = [
        {"delay_minutes": 0, "channels": [pager.pk]},
        {"delay_minutes": 15, "channels": [lead.pk], "repeat_count": 2, "repeat_interval_minutes": 5},
    ]
    first = admin_api.post(
        f"{BASE}/escalation-policies/",
        {"name": "On-call", "is_default": True, "levels": levels},
        format="json",
    )
    assert first.status_code == 201, first.content
    assert [lvl["delay_minutes"] for lvl in first.json()["levels"]] == [0, 15]
    assert first.json()["levels"][1]["channels"] == [lead.pk]
    second = admin_api.post(
        f"{BASE}/escalation-policies/",
        {"name": "Other", "is_default": True, "levels": levels[:1]},
        format="json",
    )
    assert second.status_code == 201
    assert list(EscalationPolicy.objects.filter(is_default=True).values_list("name", flat=True)) == ["Other"]
    backwards = admin_api.post(
        f"{BASE}/escalation-policies/", {"name": "x", "levels": list(reversed(levels))}, format="json"
    )
    assert backwards.status_code == 400
    assert (
        admin_api.post(f"{BASE}/escalation-policies/", {"name": "x", "levels": []}, format="json").status_code
        == 400
    )


def test_logs_filter_and_retry(org_a, users_a, api_client_for, hook_channel):
    NotificationDeliveryFactory(organization=org_a, status="sent")
    failed = NotificationDeliveryFactory(organization=org_a, channel=hook_channel, status="failed")
    viewer = api_client_for(users_a["viewer"], org_a)
    listed = viewer.get(f"{BASE}/logs/", {"status": "failed"})
    assert listed.status_code == 200 and [r["id"] for r in listed.json()["results"]] == [failed.pk]
    assert listed.json()["results"][0]["trigger_event"] == "alert.received"
    assert viewer.post(f"{BASE}/logs/{failed.pk}/retry/").status_code == 403
    operator = api_client_for(users_a["operator"], org_a)
    retried = operator.post(f"{BASE}/logs/{failed.pk}/retry/")
    assert retried.status_code == 202
    assert NotificationDelivery.objects.get(pk=failed.pk).status in ("pending", "sent")
    assert operator.post(f"{BASE}/logs/{failed.pk}/retry/").status_code in (202, 400)


@pytest.fixture
def hook_channel(make_channel, http_stub):
    return make_channel("webhook", url=http_stub(name="hook").url + "/x")


def test_snoozes_by_operators(org_a, users_a, api_client_for):
    operator = api_client_for(users_a["operator"], org_a)
    until = (timezone.now() + timedelta(hours=2)).isoformat()
    created = operator.post(
        f"{BASE}/snoozes/",
        {"alert_name_pattern": "Disk*", "until": until, "reason": "known issue"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["active"] is True and created.json()["created_by"] == users_a["operator"].pk
    ended = operator.post(f"{BASE}/snoozes/{created.json()['id']}/end/")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert operator.post(f"{BASE}/snoozes/", {"until": until}, format="json").status_code == 400
    viewer = api_client_for(users_a["viewer"], org_a)
    assert (
        viewer.post(
            f"{BASE}/snoozes/", {"alert_name_pattern": "x", "until": until}, format="json"
        ).status_code
        == 403
    )


def test_escalations_list_and_cancel(org_a, users_a, api_client_for):
    escalation = EscalationFactory(organization=org_a)
    operator = api_client_for(users_a["operator"], org_a)
    listed = operator.get(f"{BASE}/escalations/", {"status": "active"})
    assert [r["id"] for r in listed.json()["results"]] == [escalation.pk]
    assert listed.json()["results"][0]["schedule"][0]["fired"] is False
    cancelled = operator.post(f"{BASE}/escalations/{escalation.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert "a-operator" in cancelled.json()["stopped_reason"]


def test_alert_history_through_the_api(
    alert_a, users_a, api_client_for, slack, slack_bot_channel, rule_for, process, org_a
):
    rule_for(slack_bot_channel)
    process(alert_event(alert_a))
    body = api_client_for(users_a["viewer"], org_a).get(f"{BASE}/logs/", {"alert": alert_a.pk}).json()
    [row] = body["results"]
    assert (
        row["status"] == "sent"
        and row["channel_kind"] == "slack"
        and row["subject_key"] == f"alert:{alert_a.pk}"
    )
    assert row["latency_ms"] is not None and row["attempts"] == 1
