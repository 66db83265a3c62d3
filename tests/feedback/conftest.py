"""Fixtures for the feedback tests: the orders team's knowledge entry, Alertmanager posts, history.

History is built through the real paths: alerts arrive on the Alertmanager webhook, the offline
analyser analyses them (eager Celery), operators rate the analyses through the API.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.analysis import knowledge
from apps.analysis.models import Analysis, AnalysisPolicy
from tests.alerts.factories import IntegrationFactory

KNOWLEDGE = Path(__file__).parent / "knowledge"
NETWORK_FIX = "Checked the network routes from orders-api to orders-db: a route was missing and was re-added"
NETWORK_VARIANTS = [
    NETWORK_FIX,
    NETWORK_FIX,
    "Network route from orders-api to the database was missing; re-added the route",
    "Checked network routes to the db and fixed the missing route",
]
POOL_FIX = "Raised the connection pool size of orders-api from 10 to 30"


@pytest.fixture
def team_knowledge(settings):
    settings.ANALYSIS_KNOWLEDGE_DIRS = [str(KNOWLEDGE)]
    knowledge.reload()
    yield
    del settings.ANALYSIS_KNOWLEDGE_DIRS
    knowledge.reload()


@pytest.fixture
def policy(org_a):
    # Every episode gets its own analysis (the history spans days; here it is built in seconds).
    return AnalysisPolicy.objects.create(organization=org_a, dedup_window_minutes=0, analyse_incidents=False)


@pytest.fixture
def integration(org_a):
    return IntegrationFactory(organization=org_a)


def am_body(*, name, starts_at, status="firing", ends_at=None, labels=None, summary="", instance="orders-api-1:8080"):
    labels = {"alertname": name, "severity": "critical", "instance": instance, **(labels or {})}
    return {
        "receiver": "aiops",
        "status": status,
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {"summary": summary, "description": "Connection attempts exceed 5 s."},
                "startsAt": starts_at.isoformat().replace("+00:00", "Z"),
                "endsAt": (ends_at.isoformat().replace("+00:00", "Z") if ends_at else "0001-01-01T00:00:00Z"),
                "generatorURL": "http://prometheus.example:9090/graph?g0.expr=db_connect_seconds+%3E+5",
                "fingerprint": hashlib.sha1(f"{name}/{instance}".encode()).hexdigest()[:16],
            }
        ],
        "groupLabels": {"alertname": name},
        "commonLabels": labels,
        "commonAnnotations": {"summary": summary},
        "externalURL": "http://alertmanager.example:9093",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
    }


ORDERS_LABELS = {"service": "orders-api", "namespace": "shop", "env": "production", "db": "orders-db", "job": "app"}
ORDERS_SUMMARY = "Connections from orders-api to orders-db time out"


@pytest.fixture
def fire(client, integration, django_capture_on_commit_callbacks):
    """`fire(starts_at=..., ...)` posts an Alertmanager webhook (and runs what it triggers); returns the alert."""

    def post(
        *,
        starts_at,
        name="DatabaseConnectionTimeout",
        labels=ORDERS_LABELS,
        summary=ORDERS_SUMMARY,
        instance="orders-api-1:8080",
        resolved_after=None,
    ):
        url = reverse("alertmanager-hook", kwargs={"token": integration.token})
        body = am_body(name=name, starts_at=starts_at, labels=labels, summary=summary, instance=instance)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 202, response.content
        if resolved_after is not None:
            resolved = am_body(
                name=name,
                starts_at=starts_at,
                status="resolved",
                labels=labels,
                summary=summary,
                instance=instance,
                ends_at=starts_at + resolved_after,
            )
            with django_capture_on_commit_callbacks(execute=True):
                assert client.post(url, data=json.dumps(resolved), content_type="application/json").status_code == 202
        return Alert.objects.get(integration=integration, name=name, instance=instance, starts_at=starts_at)

    return post


def latest(alert) -> Analysis:
    return Analysis.objects.filter(alert=alert).order_by("-version").first()


@pytest.fixture
def history(org_a, users_a, team_knowledge, policy, fire, api_client_for, django_capture_on_commit_callbacks):
    """Five past "Database connection timeout" episodes: each time the analysis said "restart the
    application", an operator said it did not help, and what fixed it (network route 4×, pool 1×)."""
    now = timezone.now()
    alerts = [
        fire(
            starts_at=now - timedelta(days=6 - i, hours=1),
            instance=f"orders-api-{i}:8080",
            resolved_after=timedelta(minutes=40),
        )
        for i in range(1, 6)
    ]
    operator = api_client_for(users_a["operator"], org_a)
    fixes = [*NETWORK_VARIANTS, POOL_FIX]
    for alert, fix in zip(alerts, fixes, strict=True):
        analysis = latest(alert)
        assert analysis.remediation[0]["step"].startswith("Restart the application"), analysis.remediation
        with django_capture_on_commit_callbacks(execute=True):
            response = operator.post(
                reverse("alert-feedback", kwargs={"alert_id": alert.pk}),
                {
                    "feedback_type": "not_helpful",
                    "rating": 2,
                    "comment": "Restarting didn't help.",
                    "correct_action": fix,
                    "sections": [{"section": "remediation", "is_accurate": False, "correction": fix}],
                },
                format="json",
            )
        assert response.status_code == 201, response.content
    return alerts
