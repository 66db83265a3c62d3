"""Statistics: the brief's success criteria computed from a crafted set of ratings and repeat checks."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.feedback.models import AnalysisFeedback, RemediationFeedback, RepeatCheck
from apps.feedback.stats import feedback_stats

from .factories import (
    AnalysisFeedbackFactory,
    RemediationFeedbackFactory,
    RepeatCheckFactory,
    SuccessfulRemediationFactory,
)

pytestmark = pytest.mark.django_db


def aged(row, days: float):
    type(row).objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days))
    return row


@pytest.fixture
def crafted(org_a, org_b):
    """Last 30 days: 10 ratings, 7 helpful (target met), repeats 1 of 4; the 30 days before: repeats 3 of 4."""
    verdicts = ["helpful"] * 7 + ["partially_helpful", "not_helpful", "incorrect"]
    stars = [5, 5, 4, 4, 4, 5, 3, 3, 2, 1]
    for i, (verdict, rating) in enumerate(zip(verdicts, stars, strict=True)):
        kind = "openai" if i < 4 else "builtin"
        pattern = "HighCPU" if i % 2 else "DatabaseConnectionTimeout"
        aged(
            RemediationFeedbackFactory(
                organization=org_a,
                feedback_type=verdict,
                rating=rating,
                provider_kind=kind,
                model_name="gpt-4o-mini" if kind == "openai" else "knowledge-base",
                alert_pattern=pattern,
                correct_action="Killed the runaway process" if pattern == "HighCPU" else "",
            ),
            days=i + 1,
        )
    for section, accurate in [
        ("root_cause", True),
        ("root_cause", True),
        ("root_cause", False),
        ("remediation", False),
    ]:
        aged(AnalysisFeedbackFactory(organization=org_a, analysis_section=section, is_accurate=accurate), days=2)
    for i, repeated in enumerate([True, False, False, False]):
        aged(
            RepeatCheckFactory(organization=org_a, repeated=repeated, alert_pattern="DatabaseConnectionTimeout"),
            days=i + 1,
        )
    for i, repeated in enumerate([True, True, True, False]):
        aged(
            RepeatCheckFactory(organization=org_a, repeated=repeated, alert_pattern="DatabaseConnectionTimeout"),
            days=31 + i,
        )
    SuccessfulRemediationFactory(
        organization=org_a,
        alert_pattern="HighCPU",
        solution_summary="Kill the runaway process",
        success_count=3,
        use_count=4,
    )
    # Org B's unhappy users must not move org A's figures.
    for _ in range(5):
        RemediationFeedbackFactory(organization=org_b, feedback_type="incorrect", rating=1)


def test_figures(org_a, crafted):
    now = timezone.now()
    stats = feedback_stats(organization=org_a, after=now - timedelta(days=30), before=now)
    ratings = stats["ratings"]
    assert (ratings["count"], ratings["helpful"], ratings["partially_helpful"]) == (10, 7, 1)
    assert ratings["helpful_rate"] == 0.7 and ratings["positive_rate"] == 0.8 and ratings["meets_target"]
    assert ratings["average_rating"] == 3.6 and ratings["rated"] == 10
    assert stats["section_accuracy"]["root_cause"] == {"total": 3, "accurate": 2, "accuracy": 0.6667}
    assert stats["section_accuracy"]["remediation"]["accuracy"] == 0.0
    assert stats["section_accuracy"]["impact"] == {"total": 0, "accurate": 0, "accuracy": None}
    repeat = stats["repeat_incorrect"]
    assert (repeat["checks"], repeat["repeated"], repeat["rate"]) == (4, 1, 0.25)
    assert repeat["previous"]["rate"] == 0.75 and repeat["change"] == -0.6667 and repeat["halved"] is True
    providers = {(r["provider_kind"], r["model"]): r for r in stats["by_provider"]}
    assert (
        providers[("openai", "gpt-4o-mini")]["count"] == 4
        and providers[("openai", "gpt-4o-mini")]["helpful_rate"] == 1.0
    )
    assert providers[("builtin", "knowledge-base")]["helpful_rate"] == 0.5
    patterns = {r["alert_pattern"]: r for r in stats["by_alert_pattern"]}
    assert patterns["DatabaseConnectionTimeout"]["repeat_rate"] == 0.25
    assert patterns["HighCPU"]["count"] == 5
    top = stats["top_fixes"][0]
    # 5 "killed the runaway process" ratings and the library entry confirmed 3 times are one fix.
    assert top["solution"].lower().startswith("kill") and top["worked"] == 8 and top["alert_patterns"] == ["HighCPU"]
    assert stats["library"] == {"entries": 1, "uses": 4}


def test_trend_buckets(org_a, crafted):
    now = timezone.now()
    stats = feedback_stats(organization=org_a, after=now - timedelta(days=28), before=now, bucket_days=7)
    trend = stats["trend"]
    assert len(trend) == 4 and sum(b["count"] for b in trend) == 10
    last, first = trend[-1], trend[0]  # days 1-7 ago: the 7 helpful ratings; 22-28 ago: nothing
    assert last["count"] == 7 and last["helpful_rate"] == 1.0 and last["average_rating"] == round(30 / 7, 2)
    assert trend[-2]["count"] == 3 and trend[-2]["helpful_rate"] == 0.0
    assert first["count"] == 0 and first["helpful_rate"] is None
    assert last["repeat_checks"] == 4 and last["repeat_rate"] == 0.25


def test_filters_narrow_everything(org_a, crafted):
    stats = feedback_stats(organization=org_a, provider_kind="openai")
    assert stats["ratings"]["count"] == 4 and stats["filters"]["provider_kind"] == "openai"
    stats = feedback_stats(organization=org_a, alert_pattern="HighCPU")
    assert stats["ratings"]["count"] == 5 and stats["repeat_incorrect"]["checks"] == 0


def test_api(org_a, users_a, api_client_for, crafted):
    client = api_client_for(users_a["viewer"], org_a)
    url = reverse("feedback-stats")
    body = client.get(url, {"bucket_days": 10}).json()
    assert body["ratings"]["count"] == 10 and body["bucket_days"] == 10 and body["ratings"]["target"] == 0.7
    assert client.get(url, {"alert_pattern": "HighCPU"}).json()["ratings"]["count"] == 5
    bad = client.get(url, {"after": "2026-01-02T00:00:00Z", "before": "2026-01-01T00:00:00Z", "bucket_days": 0})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"bucket_days"}
    bad = client.get(url, {"after": "2026-01-02T00:00:00Z", "before": "2026-01-01T00:00:00Z"})
    assert bad.status_code == 400 and "after" in bad.json()["error"]["fields"]
    assert client.get(url, {"after": "yesterday"}).status_code == 400


def test_empty_organisation(org_b, users_b, api_client_for):
    body = api_client_for(users_b["viewer"], org_b).get(reverse("feedback-stats")).json()
    assert body["ratings"]["count"] == 0 and body["ratings"]["helpful_rate"] is None
    assert body["repeat_incorrect"]["rate"] is None and body["top_fixes"] == []
    assert RemediationFeedback.objects.count() == AnalysisFeedback.objects.count() == RepeatCheck.objects.count() == 0
