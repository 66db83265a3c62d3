"""The AI context provider: recent changes reach the analysis prompt and the offline analyser's answer."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.analysis import offline
from apps.analysis.context import assemble, render_prompt
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertFactory
from tests.changes.factories import ChangeCorrelationFactory, ChangeEventFactory

ALERT_AT = datetime(2024, 12, 6, 15, 15, tzinfo=UTC)


@pytest.fixture
def alert(org_a):
    return AlertFactory(organization=org_a, starts_at=ALERT_AT)


@pytest.fixture
def deploy(org_a):
    return ChangeEventFactory(
        organization=org_a,
        started_at=ALERT_AT - timedelta(minutes=15),
        version="v2.3.1",
        previous_version="v2.3.0",
        description="Deploy payment service with new retry logic",
    )


@pytest.mark.django_db
def test_the_change_block_reaches_the_prompt(alert, deploy):
    subject = Subject.for_alert(alert)
    context = assemble(subject)
    [block] = context.by_kind("change")
    assert block.source == "changes" and block.id.startswith("E")
    assert {
        "type": "changes.changeevent",
        "id": deploy.pk,
        "label": "payment-api deployment v2.3.1",
    } in block.refs
    facts = block.facts
    assert facts["at"] == deploy.started_at.isoformat() and facts["service"] == "payment-api"
    assert (facts["version"], facts["previous_version"]) == ("v2.3.1", "v2.3.0")
    assert facts["confidence"] == pytest.approx(0.95) and facts["confirmed"] is False
    _system, user = render_prompt(subject, context)
    assert f"[{block.id}] Change before the alert: payment-api deployment v2.3.1" in user
    assert "deployment: payment-api in production @ 2024-12-06 15:00 UTC (15 min before the alert started)" in user
    assert "Version: v2.3.0 → v2.3.1" in user and "Correlation confidence: 95%" in user


@pytest.mark.django_db
def test_the_offline_analyser_names_the_deploy_and_the_rollback(alert, deploy):
    subject = Subject.for_alert(alert)
    result = offline.analyse(subject, assemble(subject))
    text = str(result)
    assert "A change to payment-api" in text and "15 min before the alert started" in text
    assert "Roll back payment-api to v2.3.0" in text


@pytest.mark.django_db
def test_rejected_changes_are_left_out_and_confirmed_ones_go_first(org_a, alert, deploy):
    ChangeCorrelationFactory(organization=org_a, change=deploy, alert=alert, status="rejected")
    config = ChangeEventFactory(
        organization=org_a,
        event_type="config_change",
        started_at=ALERT_AT - timedelta(minutes=100),
        version="",
    )
    ChangeCorrelationFactory(organization=org_a, change=config, alert=alert, status="confirmed", confidence=0.4)
    blocks = assemble(Subject.for_alert(alert)).by_kind("change")
    assert [b.facts["change_id"] for b in blocks] == [config.pk]
    assert blocks[0].facts["confirmed"] is True and "(confirmed by an operator)" in blocks[0].body


@pytest.mark.django_db
def test_no_changes_is_said_plainly(alert):
    [block] = assemble(Subject.for_alert(alert)).by_kind("change")
    assert block.body == "No recent changes detected in related services in the 2 h before the alert."
    assert block.facts == {"changes": 0}


@pytest.mark.django_db
def test_an_incident_subject_uses_its_alerts(org_a, alert, deploy):
    from tests.incidents.factories import IncidentAlertFactory

    incident = IncidentAlertFactory(organization=org_a, alert=alert).incident
    other = AlertFactory(organization=org_a, service="checkout", starts_at=ALERT_AT + timedelta(minutes=2))
    IncidentAlertFactory(organization=org_a, alert=other, incident=incident)
    [block] = assemble(Subject.for_incident(incident)).by_kind("change")
    assert block.facts["change_id"] == deploy.pk and block.facts["alert_id"] == alert.pk
