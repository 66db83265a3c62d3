"""Learning in the prompt: what an LLM is told, failed runbook runs, library entries, incidents."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.analysis.models import LLMProvider
from apps.analysis.subjects import Subject
from apps.feedback import learning, services
from apps.feedback.models import RepeatCheck, SuccessfulRemediation
from apps.feedback.stats import feedback_stats
from tests.alerts.factories import AlertFactory
from tests.analysis.conftest import check_openai_request, good_answer, openai_completion
from tests.analysis.factories import AnalysisFactory
from tests.incidents.factories import IncidentAlertFactory, IncidentFactory
from tests.runbooks.factories import RunbookExecutionFactory, RunbookFactory

from .conftest import NETWORK_FIX, latest

pytestmark = pytest.mark.django_db


def blocks_of(alert):
    return {b["kind"]: b for b in learning.learning_blocks(Subject.for_alert(alert))}


def test_the_llm_prompt_carries_what_worked_and_what_did_not(org_a, history, policy, fire, http_stub):
    stub = http_stub(name="openai")
    stub.validate(check_openai_request)
    # A model that ignores the history and suggests the restart again: the repeat check catches it.
    stub.set_default(
        200,
        json=openai_completion(
            good_answer(
                remediation=[
                    {
                        "step": "Restart the orders-api deployment.",
                        "command": "kubectl rollout restart deploy/orders-api",
                    }
                ],
                suggested_runbook=None,
            )
        ),
    )
    policy.provider = LLMProvider.objects.create(
        organization=org_a,
        name="gpt",
        kind="openai",
        model="gpt-4o-mini",
        base_url=stub.url + "/v1",
        api_key="sk-test",
        max_retries=0,
    )
    policy.save()
    sixth = fire(starts_at=timezone.now() - timedelta(minutes=5), instance="orders-api-6:8080")
    [request] = stub.wait_for(1)
    stub.assert_no_contract_errors()
    prompt = request.json["messages"][-1]["content"]
    assert "What did NOT fix similar alerts: Restart the application (orders-api)" in prompt
    assert "It was tried 5 times on similar past alerts and did NOT fix the problem." in prompt
    assert "Do not recommend it again unless the situation is clearly different." in prompt
    assert "Engineers said: “Restarting didn't help.”" in prompt
    assert f"What fixed similar alerts before: {NETWORK_FIX}" in prompt
    assert "It fixed 4 times in 5 similar past case(s)." in prompt
    assert "most similar resolved case(s)" in prompt and "What did not help: Restart the application" in prompt

    analysis = latest(sixth)
    assert analysis.provider_kind == "openai" and analysis.status == "ok"
    check = RepeatCheck.objects.get(analysis=analysis)
    assert check.repeated and check.provider_kind == "openai"
    stats = feedback_stats(organization=org_a)
    assert stats["repeat_incorrect"]["rate"] == 1.0


def test_failed_runbook_runs_count_as_what_did_not_work(org_a, team_knowledge, policy, fire):
    runbook = RunbookFactory(organization=org_a, name="Restart application")
    assert runbook.slug == "restart-application"
    past = fire(starts_at=timezone.now() - timedelta(days=2), resolved_after=timedelta(minutes=30))
    RunbookExecutionFactory(
        organization=org_a, runbook=runbook, alert=past, status="failed", status_reason="step 2 exited with 1"
    )
    RunbookExecutionFactory(organization=org_a, runbook=runbook, alert=past, status="rolled_back")
    failed = blocks_of(
        AlertFactory(
            organization=org_a,
            name="DatabaseConnectionTimeout",
            service="orders-api",
            labels=past.labels,
            summary=past.summary,
        )
    )["failed_fix"]
    assert failed["facts"]["runbook"] == "restart-application" and failed["facts"]["failure_count"] == 2
    assert "step 2 exited with 1" in failed["body"]

    now = fire(starts_at=timezone.now() - timedelta(minutes=1), instance="orders-api-9:8080")
    analysis = latest(now)
    assert (analysis.suggested_runbook or {}).get("name") != "restart-application"
    assert "“Run the runbook restart-application” did not help 2 time(s)" in analysis.root_cause


def test_succeeded_run_on_a_resolved_alert_worked_and_explicit_feedback_overrides(org_a, users_a):
    runbook = RunbookFactory(organization=org_a, name="Scale out")
    resolved = AlertFactory(
        organization=org_a,
        name="HighLatency",
        service="checkout",
        status="resolved",
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now(),
    )
    ok = RunbookExecutionFactory(organization=org_a, runbook=runbook, alert=resolved, status="succeeded")
    query = AlertFactory(organization=org_a, name="HighLatency", service="checkout", labels=resolved.labels)
    assert blocks_of(query)["past_fix"]["facts"] == {
        "solution": "Run the runbook scale-out",
        "success_count": 1,
        "failure_count": 0,
        "runbook": "scale-out",
    }
    # Someone who was there says it did not help: the explicit verdict replaces the status.
    services.execution_feedback_record(execution=ok, user=users_a["operator"], feedback_type="not_helpful")
    blocks = blocks_of(query)
    assert "past_fix" not in blocks and blocks["failed_fix"]["facts"]["runbook"] == "scale-out"


def test_library_entries_lead_and_are_counted_when_used(org_a, team_knowledge, policy, fire):
    runbook = RunbookFactory(organization=org_a, name="Reroute database traffic")
    entry = SuccessfulRemediation.objects.create(
        organization=org_a,
        alert_pattern="DatabaseConnection*",
        service="orders-api",
        alert_labels={"service": "orders-api", "db": "orders-db"},
        problem_summary="orders-api cannot reach orders-db",
        solution_summary="Re-add the route to the database subnet",
        runbook=runbook,
        success_count=3,
    )
    analysis = latest(fire(starts_at=timezone.now() - timedelta(minutes=1)))
    assert (
        analysis.remediation[0]["step"]
        == "What fixed this before: Re-add the route to the database subnet (worked 3 time(s))."
    )
    # The runbooks app links the hint to the runbook that exists, under its display name.
    assert analysis.suggested_runbook["name"] == "Reroute database traffic"
    assert analysis.suggested_runbook["matched"] is True
    entry.refresh_from_db()
    assert entry.use_count == 1 and entry.last_used_at is not None
    past = next(b for b in analysis.context_blocks if b["kind"] == "past_fix")
    assert {"type": "feedback.successfulremediation", "id": entry.pk, "label": "fix library"} in past["refs"]
    # A retired entry is no longer offered.
    entry.is_active = False
    entry.save()
    assert "past_fix" not in blocks_of(
        AlertFactory(organization=org_a, name="DatabaseConnectionTimeout", service="orders-api")
    )


def test_helpful_suggestions_count_as_what_worked(org_a, users_a):
    past = AlertFactory(
        organization=org_a, name="KubePodCrashLooping", service="cart", starts_at=timezone.now() - timedelta(days=3)
    )
    rated = AnalysisFactory(organization=org_a, alert=past, remediation=[{"step": "Fix the CART_DB_URL secret."}])
    services.feedback_record(analysis=rated, user=users_a["operator"], feedback_type="helpful", rating=5)
    query = AlertFactory(organization=org_a, name="KubePodCrashLooping", service="cart", labels=past.labels)
    assert blocks_of(query)["past_fix"]["facts"]["solution"] == "Fix the CART_DB_URL secret"


def test_incident_analysis_feedback_counts_for_its_primary_alert(org_a, users_a):
    incident = IncidentFactory(organization=org_a)
    root = AlertFactory(organization=org_a, name="PostgresqlDown", service="orders-db")
    IncidentAlertFactory(organization=org_a, incident=incident, alert=root)
    analysis = AnalysisFactory(
        organization=org_a,
        alert=None,
        subject_type="incident",
        incident_id=incident.pk,
        remediation=[{"step": "Do not restart the app."}, {"step": "Fail over to the replica."}],
    )
    row, created = services.feedback_record(
        analysis=analysis,
        user=users_a["operator"],
        feedback_type="not_helpful",
        correct_action="Freed disk space on the primary",
    )
    assert created and (row.alert_id, row.incident_id, row.alert_pattern) == (root.pk, incident.pk, "PostgresqlDown")
    assert row.suggestion == "Fail over to the replica"  # a "do not ..." step is not a suggestion
    query = AlertFactory(organization=org_a, name="PostgresqlDown", service="orders-db", labels=root.labels)
    blocks = blocks_of(query)
    assert blocks["past_fix"]["facts"]["solution"] == "Freed disk space on the primary"
    assert blocks["failed_fix"]["facts"]["solution"] == "Fail over to the replica"
    assert json.dumps(blocks)  # facts are JSON-safe (they are stored on the analysis)
