"""Every API list takes `?ordering=`: discovered over all org-scoped routes, not written per app."""
import pytest
from rest_framework.filters import OrderingFilter

from aiops.testing.routes import api_routes
from tests.metrics.factories import MetricSourceFactory

# Apps whose viewsets still override `filter_backends` (being changed by their own issues).
PENDING = {"apps.logs", "apps.gitsync", "apps.sla"}
LISTS = [r for r in api_routes() if r.list_name and "get" in r.list_methods]


def _orders(viewset) -> bool:
    if any(issubclass(b, OrderingFilter) for b in viewset.filter_backends):
        return True
    filterset_class = getattr(viewset, "filterset_class", None)
    return filterset_class is not None and "ordering" in filterset_class.base_filters


@pytest.mark.parametrize("route", LISTS, ids=str)
def test_every_list_route_orders(route):
    if any(route.viewset.__module__.startswith(app + ".") for app in PENDING):
        pytest.skip(f"{route.viewset.__module__} still overrides filter_backends")
    assert _orders(route.viewset), f"{route} drops ordering: remove its filter_backends override"


@pytest.mark.django_db
def test_ordering_parameter_sorts_a_list_that_used_to_ignore_it(org_a, users_a, api_client_for):
    for name in ("bravo", "alpha", "charlie"):
        MetricSourceFactory(organization=org_a, name=name)
    client = api_client_for(users_a["viewer"], org_a)

    def names(order):
        return [r["name"] for r in client.get("/api/v1/metrics/sources/", {"ordering": order}).json()["results"]]

    assert names("name") == ["alpha", "bravo", "charlie"]
    assert names("-name") == ["charlie", "bravo", "alpha"]


@pytest.mark.django_db
def test_a_filterset_ordering_is_not_undone_by_the_settings_ordering(org_a, users_a, api_client_for):
    """Alerts sort severity by rank; DRF's OrderingFilter on the same parameter would sort it A-Z."""
    from tests.alerts.factories import AlertFactory

    for severity in ("info", "critical", "warning"):
        AlertFactory(organization=org_a, severity=severity)
    client = api_client_for(users_a["viewer"], org_a)
    rows = client.get("/api/v1/alerts/", {"ordering": "-severity"}).json()["results"]
    assert [r["severity"] for r in rows] == ["critical", "warning", "info"]
