"""Webhook ingestion: the captured Alertmanager bodies, re-sends, resolution, episodes, events."""
import copy
import json
from pathlib import Path

import pytest
from django.urls import reverse

from apps.alerts.choices import AlertStatus
from apps.alerts.models import Alert, AlertEvent, RawPayload
from tests.alerts.factories import IntegrationFactory

# Bodies captured from a real Alertmanager 0.25 (copied from shared/contracts/alertmanager).
CONTRACTS = Path(__file__).parent / "contracts"


def contract(name: str) -> dict:
    return json.loads((CONTRACTS / name).read_text())


@pytest.fixture
def integration(org_a):
    return IntegrationFactory(organization=org_a)


def post(client, integration, body, **extra):
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(url, data=data, content_type=extra.pop("content_type", "application/json"), **extra)


@pytest.fixture
def received(monkeypatch):
    """alert.* events dispatched after commit, in order (the real bus, observed at its dispatch point).

    Subscribers run too (eager Celery), and publish incident.* / analysis.* events of their own;
    only ingestion's own events are collected here.
    """
    from aiops import events

    seen = []
    original = events.dispatch_many

    def observe(batch):
        seen.extend(e for e in batch if e["name"].startswith("alert."))
        original(batch)

    monkeypatch.setattr(events, "dispatch_many", observe)
    return seen


@pytest.mark.django_db(transaction=True)
def test_firing_then_resolved_contract_bodies(client, integration, received):
    response = post(client, integration, contract("firing.json"))
    assert response.status_code == 202, response.content
    assert response.json()["created"] == 1
    alert = Alert.objects.get()
    assert (alert.name, alert.severity, alert.service, alert.instance, alert.environment) == (
        "HighErrorRate", "critical", "payment-api", "payment-api-1:8080", "production")
    assert alert.status == AlertStatus.FIRING and alert.ends_at is None
    assert alert.summary == "Error ratio 0.2 on payment-api"
    assert alert.group_key.startswith("{}:")
    assert [e["name"] for e in received] == ["alert.received"]
    assert received[0]["data"]["alert_id"] == alert.pk and received[0]["data"]["is_new"] is True

    response = post(client, integration, contract("resolved.json"))
    assert response.status_code == 202
    assert response.json()["resolved"] == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.ends_at is not None
    assert Alert.objects.count() == 1
    assert [e["name"] for e in received] == ["alert.received", "alert.resolved"]
    assert list(alert.events.values_list("kind", flat=True)) == ["fired", "resolved"]
    assert RawPayload.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_resends_change_nothing_but_counters(client, integration, received):
    for _ in range(3):
        assert post(client, integration, contract("firing.json")).status_code == 202
    alert = Alert.objects.get()
    assert alert.receive_count == 3
    assert [e["name"] for e in received] == ["alert.received"]
    assert AlertEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_new_start_time_is_a_new_episode(client, integration, received):
    body = contract("firing.json")
    post(client, integration, body)
    post(client, integration, contract("resolved.json"))
    again = copy.deepcopy(body)
    again["alerts"][0]["startsAt"] = "2026-11-22T14:00:00.000Z"
    post(client, integration, again)
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(status=AlertStatus.FIRING).count() == 1
    assert [e["name"] for e in received] == ["alert.received", "alert.resolved", "alert.received"]


@pytest.mark.django_db(transaction=True)
def test_late_firing_does_not_reopen_resolved_episode(client, integration, received):
    post(client, integration, contract("resolved.json"))  # arrives first (retry order)
    post(client, integration, contract("firing.json"))
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.RESOLVED
    # An episode first seen resolved never announces itself as firing.
    assert [e["name"] for e in received] == ["alert.resolved"]


@pytest.mark.django_db(transaction=True)
def test_annotation_change_is_recorded_without_new_event(client, integration, received):
    body = contract("firing.json")
    post(client, integration, body)
    changed = copy.deepcopy(body)
    changed["alerts"][0]["annotations"]["summary"] = "Error ratio 0.4 on payment-api"
    post(client, integration, changed)
    alert = Alert.objects.get()
    assert alert.summary == "Error ratio 0.4 on payment-api"
    assert list(alert.events.values_list("kind", flat=True)) == ["fired", "updated"]
    assert [e["name"] for e in received] == ["alert.received"]


@pytest.mark.django_db(transaction=True)
def test_batch_of_many_alerts_is_one_fan_out(client, integration, received):
    body = contract("firing.json")
    template = body["alerts"][0]
    body["alerts"] = []
    for i in range(50):
        item = copy.deepcopy(template)
        item["labels"]["instance"] = f"payment-api-{i}:8080"
        item["fingerprint"] = f"{i:016x}"
        body["alerts"].append(item)
    response = post(client, integration, body)
    assert response.json()["created"] == 50
    assert len(received) == 50
    assert len({e["data"]["alert_id"] for e in received}) == 50


@pytest.mark.django_db
def test_severity_mapping_and_team_routing(client, org_a):
    from tests.tenancy.factories import TeamFactory

    team = TeamFactory(organization=org_a, slug="payments")
    integration = IntegrationFactory(organization=org_a, severity_mapping={"sev1": "critical"})
    body = contract("firing.json")
    body["alerts"][0]["labels"].update({"severity": "SEV1", "team": "payments"})
    assert post(client, integration, body).status_code == 202
    alert = Alert.objects.get()
    assert alert.severity == "critical"
    assert alert.team_id == team.pk
    body["alerts"][0]["labels"].update({"severity": "unheard-of", "team": "nobody"})
    body["alerts"][0]["fingerprint"] = "ffff000000000000"
    post(client, integration, body)
    other = Alert.objects.get(fingerprint="ffff000000000000")
    assert other.severity == integration.default_severity
    assert other.team_id is None


@pytest.mark.django_db
def test_generic_json_with_field_mapping(client, org_a):
    integration = IntegrationFactory(organization=org_a, kind="generic", field_mapping={
        "alerts": "events", "name": "title", "fingerprint": "key", "status": "state", "starts_at": "at",
    })
    body = {"events": [{"title": "QueueBacklog", "key": "q-1", "state": "open", "severity": "warning",
                        "service": "billing", "summary": "Backlog 10k", "at": "2026-11-22T10:00:00Z"}]}
    url = reverse("generic-alert-hook", kwargs={"token": integration.token})
    response = client.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 202, response.content
    alert = Alert.objects.get()
    assert (alert.name, alert.fingerprint, alert.service, alert.severity, alert.summary) == (
        "QueueBacklog", "q-1", "billing", "warning", "Backlog 10k")
    body["events"][0]["state"] = "resolved"
    client.post(url, data=json.dumps(body), content_type="application/json")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


@pytest.mark.django_db
def test_generic_without_start_time_continues_the_open_episode(client, org_a):
    integration = IntegrationFactory(organization=org_a, kind="generic")
    url = reverse("generic-alert-hook", kwargs={"token": integration.token})
    body = {"alerts": [{"name": "Heartbeat", "id": "hb-1"}]}
    for _ in range(3):
        assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 202
    assert Alert.objects.count() == 1
    assert Alert.objects.get().receive_count == 3
