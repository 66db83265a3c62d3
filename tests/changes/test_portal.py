"""Portal pages and admin: the changes dashboard, a change's page, manual entry, sources, verdicts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.changes.models import ChangeCorrelation, ChangeEvent, ChangeSource
from tests.alerts.factories import AlertFactory
from tests.changes.factories import ChangeCorrelationFactory, ChangeEventFactory


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
def test_dashboard_shows_frequency_failure_rate_and_risky_changes(client, org_a, org_b, users_a):
    now = timezone.now()
    risky = ChangeEventFactory(organization=org_a, service="payment-api", started_at=now - timedelta(hours=1))
    ChangeEventFactory(organization=org_a, service="payment-api", started_at=now - timedelta(hours=2))
    ChangeEventFactory(organization=org_a, service="checkout", status="rolled_back", started_at=now)
    ChangeCorrelationFactory(organization=org_a, change=risky, status="confirmed")
    ChangeEvent.objects.filter(pk=risky.pk).update(correlation_score=0.9)
    ChangeEventFactory(organization=org_b, service="org-b-secret-service")
    client.force_login(users_a["viewer"])
    page = client.get(reverse("changes:dashboard"))
    assert page.status_code == 200
    text = _text(page)
    assert 'href="/changes/"' in text  # the nav item
    assert "org-b-secret-service" not in text
    assert text.count('<g class="bar">') == 4  # two services × (frequency, failure rate)
    assert "payment-api: 2" in text and "50% (1/2)" in text and "100% (1/1)" in text  # bar titles
    assert 'id="change-failure-rate">67%' in text  # 2 of 3 changes caused a failure
    risky_section = text.split('id="risky-changes"')[1].split("</section>")[0]
    assert f'href="/changes/{risky.pk}/"' in risky_section and "90%" in risky_section
    assert "Record a change" not in text  # viewers do not record changes
    filtered = _text(client.get(reverse("changes:dashboard"), {"service": "checkout"}))
    table = filtered.split('id="change-table"')[1]
    assert "checkout" in table and "payment-api" not in table


@pytest.mark.django_db
def test_manual_entry_by_operators(client, org_a, users_a, received, commit):
    client.force_login(users_a["viewer"])
    assert client.get(reverse("changes:create")).status_code == 403
    client.force_login(users_a["operator"])
    assert client.get(reverse("changes:create")).status_code == 200
    bad = client.post(reverse("changes:create"), {"event_type": "deployment", "service": "", "status": "completed"})
    assert bad.status_code == 200 and not ChangeEvent.objects.exists()
    form = {
        "event_type": "config_change",
        "service": "payment-api",
        "environment": "production",
        "description": "Raised the pool size by hand",
        "status": "completed",
        "started_at": "2024-12-06T15:00",
    }
    with commit():
        response = client.post(reverse("changes:create"), form)
    change = ChangeEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("changes:detail", kwargs={"pk": change.pk})
    assert (change.source, change.created_by, change.author) == ("manual", users_a["operator"], "a-operator")
    assert [e["name"] for e in received if e["name"] == "change.recorded"] == ["change.recorded"]


@pytest.mark.django_db
def test_change_page_lists_linked_alerts_with_verdict_buttons(client, org_a, users_a):
    change = ChangeEventFactory(organization=org_a, version="v2.3.1", previous_version="v2.3.0")
    alert = AlertFactory(organization=org_a)
    link = ChangeCorrelationFactory(organization=org_a, change=change, alert=alert)
    client.force_login(users_a["operator"])
    text = _text(client.get(reverse("changes:detail", kwargs={"pk": change.pk})))
    assert "payment-api deployed v2.3.1 (was v2.3.0)" in text
    assert f'data-alert="{alert.pk}"' in text and "Confirm this change caused the issue" in text
    response = client.post(
        reverse("changes:decide", kwargs={"pk": link.pk, "verdict": "reject"}),
        {"panel": "change"},
        HTTP_HX_REQUEST="true",
    )
    assert 'id="change-links"' in _text(response) and 'data-status="rejected"' in _text(response)
    assert client.post(reverse("changes:decide", kwargs={"pk": link.pk, "verdict": "nonsense"})).status_code == 404


@pytest.mark.django_db
def test_another_organisations_rows_are_404_in_the_portal(client, org_b, users_a):
    change = ChangeEventFactory(organization=org_b)
    link = ChangeCorrelationFactory(organization=org_b)
    client.force_login(users_a["owner"])
    assert client.get(reverse("changes:detail", kwargs={"pk": change.pk})).status_code == 404
    assert client.post(reverse("changes:decide", kwargs={"pk": link.pk, "verdict": "confirm"})).status_code == 404
    assert ChangeCorrelation.objects.get(pk=link.pk).status == "suggested"


@pytest.mark.django_db
def test_admin_creates_a_source_with_a_secret_url_and_setup_snippet(client, org_a, users_a):
    admin_user = users_a["admin"]
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:changes_changesource_add"),
        {
            "name": "Argo CD prod",
            "kind": "argocd",
            "enabled": "on",
            "secret": "",
            "default_environment": "production",
            "service_map": "{}",
            "workflows": "",
            "rate_limit_per_minute": "",
        },
    )
    assert response.status_code == 302, _text(response)[:2000]
    source = ChangeSource.objects.get()
    assert source.organization == org_a and source.token and source.created_by == admin_user
    page = _text(client.get(reverse("admin:changes_changesource_change", args=[source.pk])))
    assert f"/hooks/changes/{source.token}/" in page and "service.webhook.aiops-changes" in page
    bad = client.post(
        reverse("admin:changes_changesource_add"), {"name": "x", "kind": "generic", "service_map": '{"a": 1}'}
    )
    assert bad.status_code == 200 and ChangeSource.objects.count() == 1


@pytest.mark.django_db
def test_admin_manual_entry_and_verdict_actions(client, org_a, users_a, commit):
    admin_user = users_a["admin"]
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    with commit():
        response = client.post(
            reverse("admin:changes_changeevent_add"),
            {
                "event_type": "maintenance",
                "source": "manual",
                "service": "postgres",
                "environment": "production",
                "version": "",
                "previous_version": "",
                "description": "Minor version upgrade",
                "author": "dba@example.com",
                "commit_sha": "",
                "url": "",
                "started_at_0": "2024-12-06",
                "started_at_1": "15:00:00",
                "finished_at_0": "",
                "finished_at_1": "",
                "duration_seconds": "",
                "status": "completed",
                "metadata": "{}",
                "external_id": "",
            },
        )
    assert response.status_code == 302, _text(response)[:3000]
    change = ChangeEvent.objects.get()
    assert change.event_type == "maintenance" and change.created_by == admin_user and change.external_id
    link = ChangeCorrelationFactory(organization=org_a, change=change)
    response = client.post(
        reverse("admin:changes_changecorrelation_changelist"),
        {"action": "confirm", "_selected_action": [link.pk]},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == "confirmed" and link.decided_by == admin_user
