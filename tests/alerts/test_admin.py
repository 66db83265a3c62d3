"""Admin screens: integrations (token on create, URL + Alertmanager snippet, rotation), alerts, history."""

from datetime import UTC

import pytest
from django.urls import reverse

from apps.alerts import ingest
from apps.alerts.models import AlertEvent, Integration, RawPayload
from tests.alerts.factories import AlertFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:alerts_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_login(client, users_a):
    client.force_login(users_a["admin"])
    return client


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_changelists_and_pages_render(admin_login, org_a):
    alert = AlertFactory(organization=org_a, labels={"alertname": "X", "pod": "p-1"})
    event = AlertEvent.objects.create(
        organization=org_a,
        alert=alert,
        kind="fired",
        source="alertmanager",
        at=alert.starts_at,
        data={"receiver": "aiops"},
    )
    payload = RawPayload.objects.create(
        organization=org_a,
        integration=alert.integration,
        received_at=alert.starts_at,
        body={"version": "4", "alerts": []},
    )
    for model, obj in (
        (Integration, alert.integration),
        (type(alert), alert),
        (AlertEvent, event),
        (RawPayload, payload),
    ):
        assert admin_login.get(url(model, "changelist")).status_code == 200, model
        assert admin_login.get(url(model, "change", obj.pk)).status_code == 200, model
    page = admin_login.get(url(type(alert), "change", alert.pk)).content.decode()
    assert "&quot;pod&quot;: &quot;p-1&quot;" in page
    assert (
        admin_login.get(
            url(type(alert), "changelist"),
            {
                "starts_at__year": alert.starts_at.year,
                "acknowledged": "no",
                "integration": alert.integration_id,
            },
        ).status_code
        == 200
    )
    assert admin_login.get(url(AlertEvent, "add")).status_code == 403
    assert admin_login.get(url(type(alert), "add")).status_code == 403


def test_create_integration_generates_token(admin_login, org_a, users_a, settings):
    settings.AIOPS_BASE_URL = "https://aiops.example.com"
    response = admin_login.post(
        url(Integration, "add"),
        {
            "name": "prod-am",
            "kind": "alertmanager",
            "enabled": "on",
            "auth_type": "bearer",
            "auth_username": "",
            "auth_secret": "t0ps3cret",
            "service_labels": "service,job",
            "instance_labels": "instance",
            "environment_labels": "env,environment",
            "team_labels": "team",
            "severity_label": "severity",
            "severity_mapping": '{"p1": "critical"}',
            "default_severity": "warning",
            "field_mapping": "{}",
            "rate_limit_per_minute": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    integration = Integration.objects.get(name="prod-am")
    assert integration.organization == org_a and integration.created_by == users_a["admin"]
    assert integration.token and integration.token_hash == ingest.token_hash(integration.token)
    assert integration.auth_secret == "t0ps3cret"
    assert integration.severity_mapping == {"p1": "critical"}

    page = admin_login.get(url(Integration, "change", integration.pk)).content.decode()
    webhook = f"https://aiops.example.com/hooks/alertmanager/{integration.token}/"
    assert f"<code id='webhook-url'>{webhook}</code>" in page
    snippet = page[page.index("id='alertmanager-snippet'") :]
    snippet = snippet[: snippet.index("</pre>")]
    assert f"url: &quot;{webhook}&quot;" in snippet
    assert "send_resolved: true" in snippet and "type: Bearer" in snippet
    assert "t0ps3cret" not in page  # the secret stays write-only


def test_basic_auth_snippet(admin_login, org_a):
    integration = IntegrationFactory(
        organization=org_a, auth_type="basic", auth_username="am", auth_secret="pw"
    )
    page = admin_login.get(url(Integration, "change", integration.pk)).content.decode()
    assert "basic_auth:" in page and "username: &quot;am&quot;" in page
    assert integration.token in page


def test_bearer_without_secret_is_refused(admin_login):
    response = admin_login.post(
        url(Integration, "add"),
        {
            "name": "broken",
            "kind": "alertmanager",
            "auth_type": "bearer",
            "auth_secret": "",
            "service_labels": "service",
            "instance_labels": "instance",
            "environment_labels": "env",
            "team_labels": "team",
            "severity_label": "severity",
            "severity_mapping": "{}",
            "default_severity": "warning",
            "field_mapping": "{}",
        },
    )
    assert response.status_code == 200
    assert "auth_secret" in response.context["adminform"].form.errors
    assert not Integration.objects.filter(name="broken").exists()


def test_viewer_staff_does_not_see_the_url(client, users_a, org_a):
    integration = IntegrationFactory(organization=org_a)
    client.force_login(staff(users_a["viewer"]))
    page = client.get(url(Integration, "change", integration.pk)).content.decode()
    assert integration.token not in page and "webhook-url" not in page


def test_rotate_token_action(admin_login, org_a):
    integration = IntegrationFactory(organization=org_a)
    old = integration.token
    response = admin_login.post(
        url(Integration, "changelist"), {"action": "rotate_token", "_selected_action": [integration.pk]}
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.token != old and integration.token_hash == ingest.token_hash(integration.token)


def test_alert_actions_call_services(client, users_a, org_a):
    firing = AlertFactory(organization=org_a)
    other = AlertFactory(organization=org_a)
    client.force_login(staff(users_a["operator"]))
    changelist = url(type(firing), "changelist")
    response = client.post(changelist, {"action": "acknowledge", "_selected_action": [firing.pk, other.pk]})
    assert response.status_code == 302
    firing.refresh_from_db()
    assert firing.acknowledged_by == users_a["operator"]
    assert AlertEvent.objects.filter(alert=firing, kind="acknowledged", source="web").exists()
    client.post(changelist, {"action": "resolve", "_selected_action": [firing.pk]})
    firing.refresh_from_db()
    assert firing.status == "resolved"
    # acknowledging a resolved alert is refused per alert, the others still go through
    resolved = AlertFactory(organization=org_a, status="resolved")
    third = AlertFactory(organization=org_a)
    response = client.post(
        changelist, {"action": "acknowledge", "_selected_action": [resolved.pk, third.pk]}, follow=True
    )
    text = response.content.decode()
    assert "Acknowledged 1 alert(s)." in text and "cannot be acknowledged" in text


def test_viewer_cannot_run_alert_actions(client, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    client.force_login(staff(users_a["viewer"]))
    client.post(url(type(alert), "changelist"), {"action": "acknowledge", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_other_orgs_rows_stay_out(admin_login, org_b):
    foreign = AlertFactory(organization=org_b)
    RawPayload.objects.create(
        organization=org_b, integration=foreign.integration, received_at=foreign.starts_at, body={}
    )
    for model in (Integration, type(foreign), RawPayload):
        response = admin_login.get(url(model, "changelist"))
        assert list(response.context["cl"].result_list) == [], model
    admin_login.post(
        url(type(foreign), "changelist"), {"action": "acknowledge", "_selected_action": [foreign.pk]}
    )
    foreign.refresh_from_db()
    assert foreign.acknowledged_at is None


def test_date_hierarchy_lists_years_and_months_without_scanning(admin_login, org_a, settings):
    from datetime import datetime

    settings.ALERTS_LIST_COUNT_CAP = 2  # the changelist count stops here, the pages still work
    integration = IntegrationFactory(organization=org_a)
    for when in (datetime(2025, 10, 3), datetime(2025, 12, 24), datetime(2026, 2, 1)):
        AlertFactory(organization=org_a, integration=integration, starts_at=when.replace(tzinfo=UTC))
    changelist = url(AlertFactory._meta.model, "changelist")
    page = admin_login.get(changelist).content.decode()
    assert "starts_at__year=2025" in page and "starts_at__year=2026" in page
    months = admin_login.get(changelist, {"starts_at__year": "2025"})
    assert months.status_code == 200
    text = months.content.decode()
    assert "starts_at__month=10" in text and "starts_at__month=11" in text and "starts_at__month=12" in text
    assert "starts_at__month=9" not in text
    assert len(months.context["cl"].result_list) == 2
    days = admin_login.get(changelist, {"starts_at__year": "2025", "starts_at__month": "12"}).content.decode()
    assert "starts_at__day=24" in days and "starts_at__day=3&" not in days
