"""Discovery in batches: a storm's alert.received events register their services in one call,
with a fixed number of queries, and a redelivered batch registers nothing twice."""
from datetime import UTC, datetime, timedelta

import pytest

from aiops import events
from apps.topology import graph, tasks
from apps.topology.models import Service
from tests.topology.factories import ServiceFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)


def _alert_event(org, service, *, environment="production", at=T0, namespace="shop"):
    return events.build_event("alert.received", org=org, service=service, environment=environment,
                              labels={"namespace": namespace}, team_id=None, starts_at=at.isoformat())


def test_discovery_subscribes_in_batches():
    assert [s.batch for s in events.subscribers("alert.received") if s.task is tasks.discover_from_alert] == [True]


def test_a_storm_registers_each_service_once_in_one_call(org_a, django_assert_max_num_queries):
    ServiceFactory(organization=org_a, name="payments", environment="", type="api")  # agnostic: counts
    storm = [_alert_event(org_a, name, at=T0 + timedelta(seconds=10 * i))
             for i, name in enumerate(["checkout", "inventory", "payments"] * 20)]
    storm.append(_alert_event(org_a, ""))  # no service named: nothing to register

    with django_assert_max_num_queries(7):  # 6, and the batch's event receipts
        tasks.discover_from_alert.apply(args=[storm], throw=True)

    rows = {(s.name, s.environment): s for s in Service.objects.filter(organization=org_a)}
    assert set(rows) == {("checkout", "production"), ("inventory", "production"), ("payments", "")}
    checkout = rows[("checkout", "production")]
    assert (checkout.namespace, checkout.discovered_from) == ("shop", "alert")
    # last_seen is the storm's latest sighting of each service, not its first
    assert checkout.last_seen == T0 + timedelta(seconds=10 * 57)
    assert rows[("payments", "")].last_seen == T0 + timedelta(seconds=10 * 59)


def test_a_redelivered_batch_registers_nothing_twice(org_a):
    storm = [_alert_event(org_a, "checkout", at=T0), _alert_event(org_a, "checkout", at=T0 + timedelta(minutes=5))]
    tasks.discover_from_alert.apply(args=[storm], throw=True)
    tasks.discover_from_alert.apply(args=[storm], throw=True)
    tasks.discover_from_alert.apply(args=[storm[:1]], throw=True)  # an older sighting, late
    service = Service.objects.get()
    assert service.last_seen == T0 + timedelta(minutes=5)  # last_seen never goes back


def test_sightings_are_settled_in_order_as_one_by_one(org_a):
    # The agnostic entry first: the later production sighting lands on it (one service) ...
    tasks.discover_from_alert.apply(args=[[_alert_event(org_a, "api", environment=""),
                                           _alert_event(org_a, "api")]], throw=True)
    assert list(Service.objects.values_list("name", "environment")) == [("api", "")]
    # ... the production one first: the agnostic sighting then finds no agnostic entry (two).
    tasks.discover_from_alert.apply(args=[[_alert_event(org_a, "web"),
                                           _alert_event(org_a, "web", environment="")]], throw=True)
    assert set(Service.objects.filter(name="web").values_list("environment", flat=True)) == {"production", ""}


def test_new_services_reach_the_cached_graph_at_once(org_a, settings, django_capture_on_commit_callbacks):
    settings.TOPOLOGY_GRAPH_CACHE_SECONDS = 600
    assert graph.graph_for(org_a).node_for("checkout", "production") is None  # cached, empty
    with django_capture_on_commit_callbacks(execute=True):
        tasks.discover_from_alert.apply(args=[[_alert_event(org_a, "checkout")]], throw=True)
    assert graph.graph_for(org_a).node_for("checkout", "production") == Service.objects.get().pk


def test_a_malformed_event_does_not_cost_the_others_their_services(org_a, org_b):
    broken = {**_alert_event(org_a, "broken"), "organization_id": None}
    del broken["organization_id"]
    batch = [_alert_event(org_a, "checkout"), broken, _alert_event(org_b, "checkout")]
    with pytest.raises(KeyError):
        tasks.discover_from_alert.apply(args=[batch], throw=True)
    assert sorted(Service.objects.values_list("organization__slug", "name")) == [
        ("org-a", "checkout"), ("org-b", "checkout")]
