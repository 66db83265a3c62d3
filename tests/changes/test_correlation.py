"""Change↔alert correlation end to end: webhooks in, links with factors out, verdicts, the alert page."""

import re

import pytest
from django.urls import reverse

from apps.alerts.models import Alert
from apps.changes import correlation
from apps.changes.models import ChangeCorrelation, ChangeEvent, CorrelationSettings
from apps.topology import graph
from tests.changes.conftest import alertmanager_body, post_alert, post_change
from tests.topology.factories import DependencyFactory, ServiceFactory

FRIDAY_DEPLOY = {
    "event_type": "deployment",
    "source": "github",
    "service": "payment-api",
    "environment": "production",
    "version": "v2.3.1",
    "previous_version": "v2.3.0",
    "description": "Deploy payment service with new retry logic",
    "user": "developer@example.com",
    "timestamp": "2024-12-06T15:00:00Z",
    "external_id": "deploy-payment-231",
}
UNRELATED_DEPLOY = {
    **FRIDAY_DEPLOY,
    "service": "search-indexer",
    "version": "v9.0.0",
    "previous_version": "",
    "timestamp": "2024-12-06T15:05:00Z",
    "external_id": "deploy-search-900",
    "description": "Reindex",
}
ALERT_AT = "2024-12-06T15:15:00Z"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
def test_friday_scenario(client, generic_source, integration, users_a, received, commit):
    with commit():
        assert post_change(client, generic_source, FRIDAY_DEPLOY).status_code == 202
        assert post_change(client, generic_source, UNRELATED_DEPLOY).status_code == 202
        assert post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT)).status_code == 202
    alert = Alert.objects.get()
    deploy = ChangeEvent.objects.get(service="payment-api")
    link = ChangeCorrelation.objects.get(alert=alert)  # one link: the unrelated deploy stays below the threshold
    assert link.change == deploy and link.status == "suggested"
    assert link.confidence > 0.8 and link.confidence == pytest.approx(0.95)
    assert link.time_delta_seconds == 900 and link.correlation_type == "service_match"
    assert set(link.factors) >= {"time", "service", "environment", "change_type", "penalties", "total"}
    deploy.refresh_from_db()
    assert deploy.correlation_score == pytest.approx(0.95)
    unrelated = ChangeEvent.objects.get(service="search-indexer")
    assert unrelated.correlation_score is None
    scored = correlation.Scorer.for_org(alert.organization_id).score(unrelated, alert)
    assert scored.in_window and scored.confidence < 0.3

    [linked] = [e for e in received if e["name"] == "change.correlated"]
    assert linked["subject"] == {"type": "alerts.alert", "id": alert.pk}
    assert linked["data"]["alert_id"] == alert.pk and linked["data"]["change_id"] == deploy.pk
    assert linked["data"]["confidence"] == pytest.approx(0.95) and linked["data"]["timestamp"].startswith(
        "2024-12-06T15:00"
    )

    client.force_login(users_a["viewer"])
    page = client.get(reverse("alerts:detail", kwargs={"pk": alert.pk}))
    assert page.status_code == 200
    text = _text(page)
    assert "Related deployment detected" in text
    assert "15 min before the alert: payment-api deployed v2.3.1 (was v2.3.0)" in text
    assert "Correlation confidence: 95%" in text
    assert 'data-factor="time"' in text and "same service (payment-api)" in text and "same environment" in text
    # the unrelated deploy is listed under "other changes", with the reason it scored low
    assert f'data-change="{unrelated.pk}"' in text and "unrelated service" in text
    assert "Confirm this change caused the issue" not in text  # viewers see no verdict buttons


@pytest.mark.django_db
def test_a_late_change_webhook_finds_the_alert_still_firing(client, generic_source, integration, commit):
    with commit():
        post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT))
    assert not ChangeCorrelation.objects.exists()
    with commit():
        post_change(client, generic_source, FRIDAY_DEPLOY)  # reported late, dated before the alert
    link = ChangeCorrelation.objects.get()
    assert link.alert == Alert.objects.get() and link.confidence == pytest.approx(0.95)


@pytest.mark.django_db
def test_a_deploy_of_a_dependency_counts_weaker(client, org_a, generic_source, integration, commit):
    api = ServiceFactory(organization=org_a, name="payment-api", environment="production")
    database = ServiceFactory(organization=org_a, name="payments-db", environment="production")
    DependencyFactory(organization=org_a, source=api, target=database)
    # The topology app caches each organisation's graph per process; organisation ids repeat between
    # tests, so drop what an earlier test cached (its post_save hook does not reach this process's cache).
    graph.forget(org_a)
    db_change = {
        **FRIDAY_DEPLOY,
        "service": "payments-db",
        "external_id": "db-migration",
        "event_type": "config_change",
    }
    with commit():
        post_change(client, generic_source, FRIDAY_DEPLOY)
        post_change(client, generic_source, db_change)
        post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT))
    same = ChangeCorrelation.objects.get(change__service="payment-api")
    dependency = ChangeCorrelation.objects.get(change__service="payments-db")
    assert dependency.factors["service"]["match"] == "dependency" and dependency.factors["service"]["hops"] == 1
    assert 0.3 < dependency.confidence < same.confidence


@pytest.mark.django_db
def test_verdicts_stick_and_feed_the_score(client, generic_source, integration, users_a, received, commit):
    with commit():
        post_change(client, generic_source, FRIDAY_DEPLOY)
        post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT))
    link = ChangeCorrelation.objects.get()
    client.force_login(users_a["operator"])
    url = reverse("changes:decide", kwargs={"pk": link.pk, "verdict": "confirm"})
    with commit():
        response = client.post(url, {"panel": "alert"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="panel-changes"' in _text(response) and 'data-status="confirmed"' in _text(response)
    link.refresh_from_db()
    assert link.status == "confirmed" and link.decided_by == users_a["operator"] and link.decided_at
    assert [e["data"]["status"] for e in received if e["name"] == "change.correlated"] == [
        "suggested",
        "confirmed",
    ]

    # scoring the pair again (another delivery, a settings change) keeps the verdict
    CorrelationSettings.objects.filter(organization=link.organization).update(threshold=0.99)
    correlation.correlate_alert(alert=link.alert)
    link.refresh_from_db()
    assert link.status == "confirmed" and link.confidence == pytest.approx(0.95)

    reject = reverse("changes:decide", kwargs={"pk": link.pk, "verdict": "reject"})
    response = client.post(reject, {"next": "/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    link.refresh_from_db()
    assert link.status == "rejected" and link.change.correlation_score is None
    link.change.refresh_from_db()
    assert link.change.correlation_score is None  # rejected links do not count as risk


@pytest.mark.django_db
def test_a_suggestion_the_new_score_no_longer_supports_is_withdrawn(client, generic_source, integration, commit):
    with commit():
        post_change(client, generic_source, FRIDAY_DEPLOY)
        post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT))
    link = ChangeCorrelation.objects.get()
    CorrelationSettings.objects.filter(organization=link.organization).update(threshold=0.99)
    correlation.correlate_alert(alert=link.alert)
    assert not ChangeCorrelation.objects.exists()
    assert ChangeEvent.objects.get().correlation_score is None


@pytest.mark.django_db
def test_correlation_can_be_switched_off_per_organisation(client, org_a, generic_source, integration, commit):
    CorrelationSettings.objects.update_or_create(organization=org_a, defaults={"enabled": False})
    with commit():
        post_change(client, generic_source, FRIDAY_DEPLOY)
        post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT))
    assert not ChangeCorrelation.objects.exists()


@pytest.mark.django_db
def test_operators_link_by_hand_and_viewers_cannot(client, generic_source, integration, users_a, commit):
    with commit():
        post_change(client, generic_source, UNRELATED_DEPLOY)
        post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT))
    alert, change = Alert.objects.get(), ChangeEvent.objects.get()
    url = reverse("changes:link", kwargs={"pk": change.pk, "alert_id": alert.pk})
    client.force_login(users_a["viewer"])
    assert client.post(url, {"panel": "alert"}).status_code == 403
    assert not ChangeCorrelation.objects.exists()
    client.force_login(users_a["operator"])
    response = client.post(url, {"panel": "alert"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Related change" in _text(response)
    link = ChangeCorrelation.objects.get()
    assert (link.status, link.correlation_type) == ("confirmed", "user_confirmed")
    assert link.factors["service"]["match"] == "unrelated"  # the factors are kept, whatever the verdict
    # the engine does not withdraw a link a person made, even below the threshold
    correlation.correlate_alert(alert=alert)
    assert ChangeCorrelation.objects.filter(pk=link.pk, status="confirmed").exists()


@pytest.mark.django_db
def test_incident_page_shows_the_changes_of_its_alerts(client, org_a, users_a, generic_source, integration, commit):
    from tests.incidents.factories import IncidentAlertFactory

    with commit():
        post_change(client, generic_source, FRIDAY_DEPLOY)
        post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT))
    alert = Alert.objects.get()
    incident_link = getattr(alert, "incident_link", None)
    incident = (
        incident_link.incident if incident_link else IncidentAlertFactory(organization=org_a, alert=alert).incident
    )
    client.force_login(users_a["operator"])
    page = client.get(reverse("incidents:detail", kwargs={"pk": incident.pk}))
    text = _text(page)
    assert page.status_code == 200 and 'id="panel-incident-changes"' in text
    assert "payment-api deployed v2.3.1 (was v2.3.0)" in text and "Confirm this change caused the issue" in text
    link = ChangeCorrelation.objects.get()
    url = reverse("changes:decide", kwargs={"pk": link.pk, "verdict": "confirm"})
    response = client.post(url, {"panel": f"incident:{incident.pk}"}, HTTP_HX_REQUEST="true")
    assert 'id="panel-incident-changes"' in _text(response) and 'data-status="confirmed"' in _text(response)
