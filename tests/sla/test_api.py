"""API and portal: definitions CRUD with clear 400s, clocks per item, breach reasons, reports, pages."""
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.sla.models import SLABreach, SLADefinition
from tests.sla.factories import SLABreachFactory, SLADefinitionFactory
from tests.tenancy.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_definition_crud_and_bad_input(org_a, org_b, users_a, api_client_for):
    client = api_client_for(users_a["admin"], org_a)
    foreign_team = TeamFactory(organization=org_b)
    body = {"name": "Payment System", "target_mtta_minutes": 2, "target_mttr_minutes": 15,
            "applies_to_services": ["payment-*"], "measures": "both", "calendar": "business",
            "time_zone": "Europe/Berlin", "work_start": "09:00", "work_end": "17:00", "holidays": ["2026-12-25"],
            "label_matchers": {"env": "prod*"}, "breach_notify_channels": ["email"]}
    created = client.post("/api/v1/sla/definitions/", body, format="json")
    assert created.status_code == 201, created.content
    sla = SLADefinition.objects.get()
    assert sla.organization == org_a and sla.created_by == users_a["admin"] and sla.warning_threshold_percent == 80
    for bad, field in (({"time_zone": "Mars/Base"}, "time_zone"), ({"holidays": ["25.12."]}, "holidays"),
                       ({"applies_to_severity": ["urgent"]}, "applies_to_severity"),
                       ({"warning_threshold_percent": 120}, "warning_threshold_percent"),
                       ({"team": foreign_team.pk}, "team"), ({"severity": "x"}, "severity")):
        refused = client.post("/api/v1/sla/definitions/", {**body, "name": f"bad {field}", **bad}, format="json")
        assert refused.status_code == 400 and field in refused.json()["error"]["fields"], (field, refused.content)
    assert SLADefinition.objects.count() == 1
    viewer = api_client_for(users_a["viewer"], org_a)
    assert viewer.get("/api/v1/sla/definitions").json()["results"][0]["name"] == "Payment System"
    assert viewer.post("/api/v1/sla/definitions/", {**body, "name": "x"}, format="json").status_code == 403


def test_clocks_of_an_item_and_foreign_rows_are_404(org_a, org_b, users_a, api_client_for, brief_slas, fire_alert):
    alert = fire_alert(org_a, severity="critical", service="payment-api",
                       starts_at=timezone.now() - timedelta(seconds=30))
    client = api_client_for(users_a["viewer"], org_a)
    clocks = client.get(f"/api/v1/sla/clocks/?alert={alert.pk}").json()["results"]
    assert {c["target"] for c in clocks} == {"mtta", "mttr"}
    mtta = next(c for c in clocks if c["target"] == "mtta")
    assert mtta["sla_name"] == "Payment System" and mtta["live"]["text"].endswith("until MTTA breach")
    foreign = SLABreachFactory(organization=org_b)
    assert client.get(f"/api/v1/sla/breaches/{foreign.pk}/").status_code == 404


def test_breach_reason(org_a, users_a, api_client_for):
    breach = SLABreachFactory(organization=org_a, suggested_reason="runbook_failure")
    operator = api_client_for(users_a["operator"], org_a)
    url = f"/api/v1/sla/breaches/{breach.pk}/reason/"
    assert operator.post(url, {"reason": "other"}, format="json").status_code == 400
    assert operator.post(url, {"reason": "nonsense"}, format="json").status_code == 400
    assert SLABreach.objects.get().reason == ""
    done = operator.post(url, {"reason": "other", "reason_text": "DNS provider outage"}, format="json")
    assert done.status_code == 200 and done.json()["reason_text"] == "DNS provider outage"
    assert api_client_for(users_a["viewer"], org_a).post(url, {"reason": "other"}, format="json").status_code == 403


def test_report_generate_and_download(org_a, users_a, api_client_for):
    SLADefinitionFactory(organization=org_a, name="Critical")
    client = api_client_for(users_a["operator"], org_a)
    refused = client.post("/api/v1/sla/reports/generate/", {"period_start": "2026-11-01T00:00:00Z"}, format="json")
    assert refused.status_code == 400
    made = client.post("/api/v1/sla/reports/generate/", {"period_start": "2026-11-01T00:00:00Z",
                                                          "period_end": "2026-12-01T00:00:00Z"}, format="json")
    assert made.status_code == 201, made.content
    report_id = made.json()["id"]
    assert made.json()["slas"][0]["sla_name"] == "Critical"
    csv = client.get(f"/api/v1/sla/reports/{report_id}/csv/")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert client.get(f"/api/v1/sla/reports/{report_id}/markdown/").content.startswith(b"# SLA compliance report")


def test_portal_pages(client, org_a, users_a, brief_slas, fire_alert):
    alert = fire_alert(org_a, severity="critical", service="payment-api",
                       starts_at=timezone.now() - timedelta(seconds=30))
    client.force_login(users_a["operator"])
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert 'id="sla-panel"' in page and "until MTTA breach" in page and "sla/clock.js" in page
    assert "Strictest of" in page and "Payment System" in page
    dashboard = client.get("/sla/").content.decode()
    assert "Nearest to breach" in dashboard and "Payment System" in dashboard
    made = client.post("/sla/reports/generate/", {"start": "2026-11-01", "end": "2026-12-01"})
    assert made.status_code == 302
    report = client.get(made.url).content.decode()
    assert "SLA COMPLIANCE REPORT - November 2026" in report
    download = client.get(made.url.rstrip("/") + ".csv")
    assert download.status_code == 200 and b"overall" in download.content
    paused = client.post(f"/sla/alert/{alert.pk}/pause/", {"reason": "maintenance"})
    assert paused.status_code == 302
    assert client.post(f"/sla/alert/{alert.pk + 999}/pause/", {"reason": "maintenance"}).status_code == 404
