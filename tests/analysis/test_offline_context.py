"""The offline analyser combines the knowledge base with what other apps' context providers return.

The blocks below are what the changes, logs, feedback and runbooks apps register (kinds and facts
as documented in docs/analysis.md); they arrive through the real registry.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.analysis import context, incident_support, offline, runbook_hooks
from apps.analysis.context import ContextBlock
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db


def analyse(alert):
    subject = Subject.for_alert(alert)
    assembled = context.assemble(subject)
    return offline.analyse(subject, assembled), assembled


def block_id(assembled, kind):
    return next(b.id for b in assembled.blocks if b.kind == kind)


@pytest.fixture
def alert(org_a):
    return AlertFactory(
        organization=org_a,
        name="HighErrorRate",
        service="payment-api",
        starts_at=timezone.now() - timedelta(minutes=3),
    )


def deploy(at, service="payment-api", **facts):
    return ContextBlock(
        "Deploy of payment-api v2.4.1",
        f"{service} v2.4.0 → v2.4.1 at {at:%H:%M}",
        kind="change",
        refs=[{"type": "changes.changeevent", "id": 7, "label": "v2.4.1"}],
        facts={
            "service": service,
            "version": "v2.4.1",
            "previous_version": "v2.4.0",
            "at": at.isoformat(),
            "description": "deploy v2.4.1",
            **facts,
        },
    )


def test_recent_deploy_becomes_the_prime_suspect(alert, extra_context):
    baseline, _ = analyse(alert)
    extra_context("changes", lambda s: deploy(alert.starts_at - timedelta(minutes=10)))
    result, assembled = analyse(alert)
    assert result["root_cause"].startswith("A change to payment-api (deploy v2.4.1) landed 10 min before")
    assert result["remediation"][0]["step"].startswith("Roll back payment-api to v2.4.0")
    change = block_id(assembled, "change")
    assert any(e["section"] == "root_cause" and e["refs"] == [change] for e in result["evidence"])
    assert any(e["section"] == "remediation" and e["refs"] == [change] for e in result["evidence"])
    assert result["confidence"] == round(baseline["confidence"] + 0.15, 2)


@pytest.mark.parametrize("minutes, service", [(60 * 24, "payment-api"), (10, "search")])
def test_old_or_unrelated_changes_are_ignored(alert, extra_context, minutes, service):
    extra_context("changes", lambda s: deploy(alert.starts_at - timedelta(minutes=minutes), service=service))
    result, _ = analyse(alert)
    assert "A change to" not in result["root_cause"]


def test_log_pattern_that_fits_the_entry_raises_confidence(org_a, extra_context):
    alert = AlertFactory(
        organization=org_a,
        name="JvmMemoryFillingUp",
        service="orders",
        labels={"alertname": "JvmMemoryFillingUp", "instance": "orders:8080"},
    )
    baseline, _ = analyse(alert)
    extra_context(
        "logs",
        lambda s: ContextBlock(
            "Log errors of orders",
            "java.lang.OutOfMemoryError: Java heap space ×37",
            kind="logs",
            facts={"patterns": [{"pattern": "java.lang.OutOfMemoryError: Java heap space", "count": 37}]},
        ),
    )
    result, assembled = analyse(alert)
    assert (
        "The logs show “java.lang.OutOfMemoryError: Java heap space” (37×) around the alert, which fits this "
        "explanation; that error usually means the process ran out of memory."
    ) in result["root_cause"]
    assert result["confidence"] == round(baseline["confidence"] + 0.1, 2)
    assert any(e["refs"] == [block_id(assembled, "logs")] for e in result["evidence"])


def test_log_pattern_is_interpreted_when_the_entry_does_not_expect_it(alert, extra_context):
    extra_context(
        "logs",
        lambda s: ContextBlock(
            "Log errors",
            "dial tcp 10.0.4.2:5432: connect: connection refused",
            kind="logs",
            facts={"pattern": "dial tcp 10.0.4.2:5432: connect: connection refused", "count": 120},
        ),
    )
    result, _ = analyse(alert)
    assert "that error usually means a dependency is down or not listening" in result["root_cause"]


def test_past_fix_goes_first_and_brings_its_runbook(alert, extra_context):
    extra_context(
        "feedback",
        lambda s: ContextBlock(
            "What worked before",
            "Restarting pgbouncer fixed it 4 times",
            kind="past_fix",
            facts={
                "solution": "Restart pgbouncer on db-1",
                "success_count": 4,
                "runbook": "restart-pgbouncer",
            },
        ),
    )
    result, assembled = analyse(alert)
    assert (
        result["remediation"][0]["step"]
        == "What fixed this before: Restart pgbouncer on db-1 (worked 4 time(s))."
    )
    assert result["suggested_runbook"] == "restart-pgbouncer"
    assert {
        "section": "remediation",
        "claim": "Past fix: Restart pgbouncer on db-1",
        "refs": [block_id(assembled, "past_fix")],
    } in result["evidence"]


def test_runbook_candidates_from_context_are_preferred_by_name(alert, extra_context):
    extra_context(
        "runbooks",
        lambda s: [
            ContextBlock("Runbook scale-out", "Scale out", kind="runbook", facts={"name": "scale-out"}),
            ContextBlock(
                "Runbook rollback-deployment",
                "Rollback",
                kind="runbook",
                facts={"name": "rollback-deployment"},
            ),
        ],
    )
    result, _ = analyse(alert)
    assert result["suggested_runbook"] == "rollback-deployment"  # the knowledge entry's choice, confirmed


def test_recurring_alert_gets_a_prevention_note(org_a, alert):
    now = timezone.now()
    for hours in (5, 30, 60, 90):
        AlertFactory(
            organization=org_a,
            name="HighErrorRate",
            service="payment-api",
            status="resolved",
            starts_at=now - timedelta(hours=hours),
            ends_at=now - timedelta(hours=hours, minutes=-4),
        )
    result, assembled = analyse(alert)
    assert any("HighErrorRate fired 4 times in 30 days on payment-api" in p for p in result["prevention"])
    assert "Earlier episodes cleared on their own after a median of 4 min." in result["impact"]
    assert any(
        e["section"] == "prevention" and e["refs"] == [block_id(assembled, "similar_alerts")]
        for e in result["evidence"]
    )


def test_runbook_suggester_registry_resolves_the_name(org_a, alert):
    def suggester(*, subject, analysis):
        if analysis["suggested_runbook"] == "rollback-deployment":
            return {
                "name": "Roll back a deployment",
                "id": 12,
                "url": "/runbooks/12/",
                "reason": "trigger match",
            }
        return None

    runbook_hooks.register_runbook_suggester(suggester)
    try:
        result, _ = analyse(alert)
        found = runbook_hooks.suggest_runbook(subject=Subject.for_alert(alert), analysis=result)
    finally:
        runbook_hooks.unregister_runbook_suggester(suggester)
    assert found == {
        "name": "Roll back a deployment",
        "id": 12,
        "url": "/runbooks/12/",
        "reason": "trigger match",
        "matched": True,
    }


needs_incidents = pytest.mark.skipif(
    not incident_support.installed(), reason="apps.incidents is not installed"
)


@needs_incidents
def test_incident_analysis_points_at_the_most_fundamental_alert(org_a):
    from tests.incidents.factories import IncidentAlertFactory, IncidentFactory

    start = timezone.now() - timedelta(minutes=5)
    incident = IncidentFactory(organization=org_a, title="Checkout errors")
    alerts = [
        AlertFactory(
            organization=org_a,
            name="HighErrorRate",
            service="checkout",
            starts_at=start + timedelta(seconds=40),
        ),
        AlertFactory(
            organization=org_a,
            name="HighLatency",
            service="frontend",
            starts_at=start + timedelta(seconds=50),
        ),
        AlertFactory(
            organization=org_a,
            name="PostgresqlTooManyConnections",
            service="checkout-db",
            starts_at=start,
            labels={"alertname": "PostgresqlTooManyConnections", "datname": "checkout", "instance": "pg-1"},
        ),
        AlertFactory(
            organization=org_a, name="HighErrorRate", service="cart", starts_at=start + timedelta(seconds=60)
        ),
    ]
    for a in alerts:
        IncidentAlertFactory(organization=org_a, incident=incident, alert=a)
    subject = Subject.for_incident(incident)
    assembled = context.assemble(subject)
    result = offline.analyse(subject, assembled)
    assert result["root_cause"].startswith(
        "The most likely origin is PostgresqlTooManyConnections on checkout-db"
    )
    assert "(database checkout)" in result["root_cause"]
    assert (
        "The other 3 alert(s) (HighErrorRate ×2, HighLatency) look like consequences" in result["root_cause"]
    )
    assert result["impact"].startswith("4 alert(s) across 4 service(s)")
    assert "pg_stat_activity" in result["remediation"][0]["command"]
    assert any(e["refs"] == [block_id(assembled, "incident")] for e in result["evidence"])


@needs_incidents
def test_alert_in_an_incident_is_pointed_at_a_deeper_failure(org_a):
    from tests.incidents.factories import IncidentAlertFactory, IncidentFactory

    incident = IncidentFactory(organization=org_a)
    symptom = AlertFactory(organization=org_a, name="HighLatency", service="frontend")
    cause = AlertFactory(
        organization=org_a,
        name="KubeNodeNotReady",
        service="",
        instance="node-3",
        labels={"alertname": "KubeNodeNotReady", "node": "node-3"},
    )
    for a in (symptom, cause):
        IncidentAlertFactory(organization=org_a, incident=incident, alert=a)
    result, _ = analyse(symptom)
    assert "The same incident contains KubeNodeNotReady on node-3 (platform-level)" in result["root_cause"]
    assert "It is part of an incident with 2 alert(s) across frontend." in result["impact"]
