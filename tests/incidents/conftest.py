"""Fixtures for incident tests: alerts in event time, a topology builder, and an event recorder."""

from datetime import UTC, datetime, timedelta

import pytest
from celery import shared_task

from aiops import events
from apps.alerts.models import Alert
from apps.incidents import correlation
from apps.topology.models import Dependency, Service
from tests.alerts.factories import IntegrationFactory

T0 = datetime(2025, 3, 4, 14, 0, 0, tzinfo=UTC)
RECORDED: list[dict] = []


@shared_task(name="tests.incidents.record_event")
def record_event(event):
    RECORDED.append(event)


@pytest.fixture(autouse=True)
def fresh_topology_graph(settings):
    """Database ids repeat across tests; never let one test see another's cached graph."""
    settings.TOPOLOGY_GRAPH_CACHE_SECONDS = 0


@pytest.fixture
def published():
    """Every incident.* event published (after commit) while the test runs, in order."""
    names = [n for n in events.CATALOGUE if n.startswith("incident.")]
    RECORDED.clear()
    for name in names:
        events.subscribe(name, record_event)
    yield RECORDED
    for name in names:
        events._subscribers[name] = [s for s in events._subscribers[name] if s.task is not record_event]
    RECORDED.clear()


@pytest.fixture
def integration(org_a):
    return IntegrationFactory(organization=org_a)


@pytest.fixture
def make_alert(integration):
    """`make_alert(service, name, at_seconds, **fields)`: an alert that started T0 + at_seconds."""
    counter = iter(range(10**6))

    def make(
        service="api",
        name="HighErrorRate",
        at=0,
        *,
        org=None,
        severity="warning",
        env="production",
        instance=None,
        labels=None,
        group_key="",
        status="firing",
        summary=None,
        team=None,
    ):
        n = next(counter)
        org = org or integration.organization
        integ = integration if org.pk == integration.organization_id else IntegrationFactory(organization=org)
        instance = instance if instance is not None else f"{service}-{n % 3}:8080"
        all_labels = {
            "alertname": name,
            "service": service,
            "instance": instance,
            "env": env,
            **(labels or {}),
        }
        return Alert.objects.create(
            organization=org,
            integration=integ,
            fingerprint=f"{n:016x}",
            starts_at=T0 + timedelta(seconds=at),
            name=name,
            severity=severity,
            service=service,
            instance=instance,
            environment=env,
            summary=summary or f"{name} on {service}",
            labels=all_labels,
            annotations={},
            group_key=group_key,
            status=status,
            team=team,
        )

    return make


@pytest.fixture
def topology(org_a):
    """`topology({"web": ["api"], "api": ["database", "cache"]}, org=...)`: services and edges."""

    def build(edges: dict[str, list[str]], org=None, env="production"):
        org = org or org_a
        names = set(edges) | {t for targets in edges.values() for t in targets}
        services = {
            name: Service.objects.get_or_create(organization=org, name=name, environment=env)[0]
            for name in sorted(names)
        }
        for source, targets in edges.items():
            for target in targets:
                Dependency.objects.get_or_create(organization=org, source=services[source], target=services[target])
        return services

    return build


@pytest.fixture
def correlate():
    """Run the engine on alerts in the given (arrival) order; returns the outcomes."""

    def run(*alerts):
        return [correlation.correlate_alert(organization_id=a.organization_id, alert_id=a.pk) for a in alerts]

    return run
