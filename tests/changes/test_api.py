"""The plan's change API: list, ingest, stats, manual links, related changes, sources, settings."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.changes.models import ChangeCorrelation, ChangeEvent, CorrelationSettings
from tests.alerts.factories import AlertFactory
from tests.changes.factories import ChangeCorrelationFactory, ChangeEventFactory, ChangeSourceFactory
from tests.changes.test_hooks_generic import PLAN_PAYLOAD

BODY = {**PLAN_PAYLOAD, "source": "jenkins", "external_id": "payments#231", "metadata": {"pr_number": 456}}


@pytest.fixture
def operator(org_a, users_a, api_client_for):
    return api_client_for(users_a["operator"], org_a)


@pytest.fixture
def viewer(org_a, users_a, api_client_for):
    return api_client_for(users_a["viewer"], org_a)


@pytest.mark.django_db
def test_post_changes_takes_the_plan_payload_and_is_idempotent(operator, users_a, commit):
    with commit():
        created = operator.post("/api/v1/changes/", BODY, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["source"] == "jenkins" and data["user"] == "developer@example.com"
    assert data["timestamp"].startswith("2024-12-08T10:30:00") and data["related_alerts"] == []
    assert data["url_portal"].endswith(f"/changes/{data['id']}/")
    again = operator.post("/api/v1/changes/", BODY, format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert ChangeEvent.objects.get().created_by == users_a["operator"]


@pytest.mark.django_db
def test_post_changes_refuses_bad_bodies_with_the_error_shape(operator):
    response = operator.post("/api/v1/changes/", {**BODY, "event_type": "party", "timestamp": "soon"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and {"event_type", "timestamp"} <= set(error["fields"])
    assert not ChangeEvent.objects.exists()


@pytest.mark.django_db
def test_viewers_read_but_do_not_write(viewer, org_a):
    change = ChangeEventFactory(organization=org_a)
    assert viewer.get("/api/v1/changes/").json()["results"][0]["id"] == change.pk
    assert viewer.post("/api/v1/changes/", BODY, format="json").status_code == 403
    assert viewer.patch(f"/api/v1/changes/{change.pk}/", {"description": "x"}, format="json").status_code == 403


@pytest.mark.django_db
def test_list_filters(operator, org_a):
    now = timezone.now()
    ChangeEventFactory(organization=org_a, service="payment-api", event_type="deployment", started_at=now)
    ChangeEventFactory(
        organization=org_a, service="checkout", event_type="config_change", started_at=now - timedelta(days=2)
    )
    rows = operator.get("/api/v1/changes/", {"service": "checkout"}).json()["results"]
    assert [r["service"] for r in rows] == ["checkout"]
    rows = operator.get("/api/v1/changes/", {"event_type": "deployment"}).json()["results"]
    assert [r["service"] for r in rows] == ["payment-api"]
    after = (now - timedelta(days=1)).isoformat()
    assert [r["service"] for r in operator.get("/api/v1/changes/", {"after": after}).json()["results"]] == [
        "payment-api"
    ]
    assert operator.get("/api/v1/changes/", {"q": "check"}).json()["count"] == 1
    assert operator.get("/api/v1/changes/", {"after": "not a date"}).status_code == 400


@pytest.mark.django_db
def test_admins_correct_a_change_and_it_is_scored_again(org_a, users_a, api_client_for, commit):
    admin = api_client_for(users_a["admin"], org_a)
    alert = AlertFactory(organization=org_a, starts_at=timezone.now())
    change = ChangeEventFactory(
        organization=org_a, service="somewhere-else", started_at=alert.starts_at - timedelta(minutes=10)
    )
    assert not ChangeCorrelation.objects.exists()
    with commit():
        response = admin.patch(f"/api/v1/changes/{change.pk}/", {"service": alert.service}, format="json")
    assert response.status_code == 200 and response.json()["service"] == alert.service
    link = ChangeCorrelation.objects.get()
    assert link.alert == alert and response.json()["id"] == change.pk
    assert admin.get(f"/api/v1/changes/{change.pk}/").json()["related_alerts"] == [alert.pk]
    bad = admin.patch(f"/api/v1/changes/{change.pk}/", {"finished_at": "2000-01-01T00:00:00Z"}, format="json")
    assert bad.status_code == 400 and "finished_at" in bad.json()["error"]["fields"]


@pytest.mark.django_db
def test_stats_per_service_and_failure_rate(operator, org_a):
    now = timezone.now()
    deploys = [
        ChangeEventFactory(organization=org_a, service="payment-api", started_at=now - timedelta(hours=i))
        for i in range(1, 5)
    ]
    ChangeEventFactory(
        organization=org_a, service="payment-api", status="rolled_back", started_at=now - timedelta(hours=6)
    )
    ChangeEventFactory(organization=org_a, service="checkout", event_type="scaling", started_at=now)
    ChangeCorrelationFactory(organization=org_a, change=deploys[0], status="confirmed")
    ChangeCorrelationFactory(organization=org_a, change=deploys[1], status="suggested")
    ChangeCorrelationFactory(organization=org_a, change=deploys[2], status="rejected")
    ChangeEventFactory(organization=org_a, service="old", started_at=now - timedelta(days=90))
    body = operator.get("/api/v1/changes/stats/").json()
    assert body["totals"]["changes"] == 6 and body["totals"]["confirmed"] == 1 and body["totals"]["suspected"] == 1
    payments = next(row for row in body["services"] if row["service"] == "payment-api")
    assert payments["changes"] == 5 and payments["caused_failure"] == 2  # one confirmed, one rolled back
    assert payments["change_failure_rate"] == pytest.approx(0.4)
    assert body["by_type"] == {"deployment": 5, "scaling": 1}
    assert sum(day["changes"] for day in body["daily"]) == 6
    narrowed = operator.get("/api/v1/changes/stats/", {"service": "checkout"}).json()
    assert narrowed["totals"]["changes"] == 1 and narrowed["totals"]["change_failure_rate"] == 0
    wide = operator.get("/api/v1/changes/stats/", {"after": (now - timedelta(days=100)).isoformat()}).json()
    assert wide["totals"]["changes"] == 7
    assert (
        operator.get("/api/v1/changes/stats/", {"after": now.isoformat(), "before": now.isoformat()}).status_code == 400
    )


@pytest.mark.django_db
def test_manual_correlation_and_verdicts(operator, viewer, org_a, org_b, received, commit):
    alert = AlertFactory(organization=org_a, service="checkout")
    change = ChangeEventFactory(organization=org_a, service="payment-api", started_at=alert.starts_at)
    url = f"/api/v1/changes/{change.pk}/correlate/{alert.pk}/"
    assert viewer.post(url, {}, format="json").status_code == 403
    with commit():
        created = operator.post(url, {"note": "the deploy changed the shared client"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "confirmed" and body["correlation_type"] == "user_confirmed"
    assert body["change"]["id"] == change.pk and body["alert"] == alert.pk and body["decided_by"] == "a-operator"
    assert "factor_rows" in body and body["explanation"]
    assert [e["name"] for e in received if e["name"] == "change.correlated"] == ["change.correlated"]
    assert operator.post(url, {"status": "rejected"}, format="json").json()["status"] == "rejected"
    assert operator.post(url, {"status": "maybe"}, format="json").status_code == 400
    # another organisation's alert is a 404, never a link
    foreign = AlertFactory(organization=org_b)
    assert operator.post(f"/api/v1/changes/{change.pk}/correlate/{foreign.pk}/", {}, format="json").status_code == 404

    link = ChangeCorrelation.objects.get()
    confirm = operator.post(f"/api/v1/change-correlations/{link.pk}/confirm/", {}, format="json")
    assert confirm.status_code == 200 and confirm.json()["status"] == "confirmed"
    assert viewer.post(f"/api/v1/change-correlations/{link.pk}/reject/", {}, format="json").status_code == 403
    listed = operator.get("/api/v1/change-correlations/", {"alert": alert.pk, "status": "confirmed"}).json()
    assert [row["id"] for row in listed["results"]] == [link.pk]


@pytest.mark.django_db
def test_related_changes_of_an_alert(operator, org_a, org_b):
    alert = AlertFactory(organization=org_a, starts_at=timezone.now())
    near = ChangeEventFactory(organization=org_a, started_at=alert.starts_at - timedelta(minutes=15))
    unrelated = ChangeEventFactory(
        organization=org_a, service="search", started_at=alert.starts_at - timedelta(minutes=5)
    )
    ChangeEventFactory(organization=org_a, started_at=alert.starts_at - timedelta(hours=5))  # outside the window
    ChangeEventFactory(organization=org_a, started_at=alert.starts_at + timedelta(minutes=30))  # after the alert
    ChangeEventFactory(organization=org_b, started_at=alert.starts_at - timedelta(minutes=1))  # another organisation
    rows = operator.get(f"/api/v1/alerts/{alert.pk}/related-changes").json()
    assert [r["change"]["id"] for r in rows] == [near.pk, unrelated.pk]
    assert rows[0]["related"] is True and rows[0]["confidence"] == pytest.approx(0.95)
    assert rows[0]["status"] is None and "same service" in rows[0]["explanation"]
    assert rows[1]["related"] is False and rows[1]["factors"]["service"]["match"] == "unrelated"
    foreign = AlertFactory(organization=org_b)
    assert operator.get(f"/api/v1/alerts/{foreign.pk}/related-changes").status_code == 404


@pytest.mark.django_db
def test_change_sources_show_the_secret_url_to_admins_only(org_a, users_a, api_client_for):
    admin = api_client_for(users_a["admin"], org_a)
    created = admin.post(
        "/api/v1/change-sources/",
        {
            "name": "GitHub payments",
            "kind": "github",
            "secret": "shh",
            "service_map": {"acme/pay": "payment-api"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret_set"] is True and "secret" not in body and "/hooks/changes/" in body["webhook_url"]
    operator = api_client_for(users_a["operator"], org_a)
    seen = operator.get(f"/api/v1/change-sources/{body['id']}/").json()
    assert "webhook_url" not in seen
    rotated = admin.post(f"/api/v1/change-sources/{body['id']}/rotate-token/").json()
    assert rotated["webhook_url"] != body["webhook_url"]
    bad = admin.post("/api/v1/change-sources/", {"name": "x", "service_map": {"a": 3}}, format="json")
    assert bad.status_code == 400 and "service_map" in bad.json()["error"]["fields"]
    assert operator.post("/api/v1/change-sources/", {"name": "y"}, format="json").status_code == 403
    ChangeSourceFactory(organization=org_a)


@pytest.mark.django_db
def test_correlation_settings(org_a, users_a, api_client_for, viewer):
    body = viewer.get("/api/v1/change-correlation-settings").json()
    assert body["window_minutes"] == 120 and body["threshold"] == 0.3 and body["weight_time"] == 0.4
    assert body["change_type_risk"]["deployment"] == 1.0
    assert viewer.patch("/api/v1/change-correlation-settings", {"threshold": 0.5}, format="json").status_code == 403
    admin = api_client_for(users_a["admin"], org_a)
    ok = admin.patch(
        "/api/v1/change-correlation-settings",
        {"threshold": 0.5, "change_type_risk": {"deployment": 0.9, "scaling": 0.1}},
        format="json",
    )
    assert ok.status_code == 200 and CorrelationSettings.objects.get(organization=org_a).threshold == 0.5
    bad = admin.patch(
        "/api/v1/change-correlation-settings",
        {"threshold": 2, "change_type_risk": {"party": 1}},
        format="json",
    )
    assert bad.status_code == 400 and {"threshold", "change_type_risk"} <= set(bad.json()["error"]["fields"])
