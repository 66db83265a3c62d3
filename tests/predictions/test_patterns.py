"""Escalation odds, trending alerts and insights, from alert history built with the factories."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.predictions import patterns
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db


def _history(org, *, warnings=6, escalated=4, now=None):
    now = now or timezone.now()
    for i in range(warnings):
        at = now - timedelta(days=2 + i)
        service = f"svc-{i}"
        AlertFactory(organization=org, name="HighMemoryWarning", severity="warning", service=service,
                     instance=f"{service}:9100", starts_at=at)
        if i < escalated:
            AlertFactory(organization=org, name="OutOfMemoryCritical", severity="critical", service=service,
                         instance=f"{service}:9100", starts_at=at + timedelta(hours=2 + i % 2 * 0.6))
    return AlertFactory(organization=org, name="HighMemoryWarning", severity="warning", service="svc-new",
                        starts_at=now)


def test_escalation_odds_with_sample_size_and_interval(org_a):
    alert = _history(org_a)
    odds = patterns.escalation_odds(alert)
    assert odds["shown"] and odds["sample_size"] == 6 and odds["escalated"] == 4
    assert odds["escalation_probability"] == pytest.approx(0.6667, abs=1e-3)
    assert odds["predicted_time_to_escalate_hours"] == pytest.approx(2.3, abs=0.01)
    low, high = odds["interval_95"]
    assert low < 0.667 < high
    assert odds["sentence"] == "Escalated to critical 67% of the time (4 of 6), average 2.3 h"


def test_odds_hidden_below_the_minimum_sample(org_a):
    alert = _history(org_a, warnings=3, escalated=3)
    odds = patterns.escalation_odds(alert)
    assert odds["sample_size"] == 3 and not odds["shown"] and odds["escalation_probability"] is None


def test_escalation_api_is_org_scoped(org_a, org_b, users_a, api_client_for):
    alert = _history(org_a)
    foreign = AlertFactory(organization=org_b)
    client = api_client_for(users_a["viewer"], org_a)
    response = client.get(reverse("prediction-escalation", kwargs={"alert_id": alert.pk}))
    assert response.status_code == 200 and response.json()["sample_size"] == 6
    assert client.get(reverse("prediction-escalation", kwargs={"alert_id": foreign.pk})).status_code == 404


def test_trending_needs_significance(org_a, users_a, api_client_for):
    now = timezone.now()
    for i in range(12):
        AlertFactory(organization=org_a, name="DiskIOHigh", starts_at=now - timedelta(days=1, minutes=i))
    AlertFactory(organization=org_a, name="DiskIOHigh", starts_at=now - timedelta(days=9))
    for i in range(3):
        AlertFactory(organization=org_a, name="Noise", starts_at=now - timedelta(days=1, minutes=i))
    AlertFactory(organization=org_a, name="Noise", starts_at=now - timedelta(days=9))
    rows = patterns.trending_alerts(organization_id=org_a.pk)
    assert [r["name"] for r in rows] == ["DiskIOHigh"]
    assert rows[0]["this_period"] == 12 and rows[0]["previous_period"] == 1 and rows[0]["p_value"] < 0.01
    client = api_client_for(users_a["viewer"], org_a)
    assert client.get(reverse("prediction-trending")).json()["results"][0]["name"] == "DiskIOHigh"
    insights = client.get(reverse("prediction-insights")).json()["results"]
    assert any(i["kind"] == "trending" for i in insights)


def test_binomial_tail():
    assert patterns.binomial_tail(0, 10) == 1.0
    assert patterns.binomial_tail(10, 10) == pytest.approx(1 / 1024)
