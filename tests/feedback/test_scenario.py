"""The brief's "Database connection timeout" scenario, end to end through the offline analyser.

Five times the analysis said "restart the application"; five times an operator said it did not
help and what fixed it (a missing network route 4×, the pool size once). The sixth alert arrives
on the webhook: its analysis must lead with the network check, leave the restart (and its runbook)
out, say that restarting did not help, and cite the history as evidence.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.analysis import context as context_mod
from apps.feedback.models import RemediationFeedback, RepeatCheck

from .conftest import NETWORK_FIX, POOL_FIX, latest

pytestmark = pytest.mark.django_db


def block(analysis, kind):
    return next(b for b in analysis.context_blocks if b["kind"] == kind and b["included"])


def test_the_next_analysis_leads_with_what_worked_and_avoids_what_failed(history, fire):
    assert RemediationFeedback.objects.count() == 5
    sixth = fire(starts_at=timezone.now() - timedelta(minutes=5), instance="orders-api-6:8080")
    analysis = latest(sixth)
    assert analysis.status == "ok" and analysis.provider_kind == "builtin"

    steps = [s["step"] for s in analysis.remediation]
    assert steps[0] == f"What fixed this before: {NETWORK_FIX} (worked 4 time(s))."
    assert steps[1] == f"What fixed this before: {POOL_FIX} (worked 1 time(s))."
    assert not any("restart" in s.lower() for s in steps), steps
    assert (analysis.suggested_runbook or {}).get("name") != "restart-application"
    assert "did not help 5 time(s) on similar alerts; it is left out of the remediation." in analysis.root_cause
    assert "Restart the application (orders-api)" in analysis.root_cause

    past, failed = block(analysis, "past_fix"), block(analysis, "failed_fix")
    assert past["source"] == failed["source"] == "feedback"
    assert {"section": "remediation", "claim": f"Past fix: {NETWORK_FIX}", "refs": [past["id"]]} in analysis.evidence
    assert any(
        e["section"] == "root_cause" and e["refs"] == [failed["id"]] and e["claim"].startswith("Did not help before")
        for e in analysis.evidence
    ), analysis.evidence
    cited = {r["id"] for r in failed["refs"] if r["type"] == "alerts.alert"}
    assert cited == {a.pk for a in history}  # the evidence links to the five past alerts
    similar = block(analysis, "similar_cases")
    assert len([r for r in similar["refs"] if r["type"] == "alerts.alert"]) == 3  # "the 3 most similar"

    # The analysis had a known-bad suggestion to avoid, and avoided it.
    check = RepeatCheck.objects.get(analysis=analysis)
    assert (check.known_bad, check.repeated, check.alert_pattern) == (1, False, "DatabaseConnectionTimeout")


def test_without_the_feedback_provider_the_restart_comes_back(history, fire, monkeypatch):
    """The control: the same alert, the learning provider switched off, repeats the failed restart —
    and the repeat check notices (this is what the "repeat incorrect suggestions" rate counts)."""
    monkeypatch.delitem(context_mod._registry, "feedback")
    sixth = fire(starts_at=timezone.now() - timedelta(minutes=5), instance="orders-api-6:8080")
    analysis = latest(sixth)
    assert analysis.remediation[0]["step"].startswith("Restart the application (orders-api)")
    check = RepeatCheck.objects.get(analysis=analysis)
    assert check.repeated and check.repeated_suggestion.startswith("Restart the application")


def test_the_first_episode_has_nothing_to_learn_from(org_a, team_knowledge, policy, fire):
    alert = fire(starts_at=timezone.now() - timedelta(minutes=5))
    analysis = latest(alert)
    assert analysis.remediation[0]["step"].startswith("Restart the application")
    assert not any(b["source"] == "feedback" for b in analysis.context_blocks)
    assert not RepeatCheck.objects.exists()
