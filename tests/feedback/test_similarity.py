"""Similarity: a hand-made set of alerts with the neighbours a responder would expect, in order,
and organisation isolation (nothing of org B ever appears in org A's results)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aiops.roles import Role
from apps.feedback.similarity import similar_cases
from apps.topology import graph
from tests.alerts.factories import AlertFactory
from tests.incidents.factories import IncidentAlertFactory, IncidentFactory
from tests.tenancy.factories import TeamFactory, member
from tests.topology.factories import DependencyFactory, ServiceFactory

from .factories import RemediationFeedbackFactory, SuccessfulRemediationFactory

pytestmark = pytest.mark.django_db

ORDERS = {"service": "orders-api", "namespace": "shop", "env": "production", "db": "orders-db", "job": "app"}


def alert(org, name, *, service, labels, summary, days_ago=1, status="resolved", instance="x-1:8080"):
    starts = timezone.now() - timedelta(days=days_ago)
    return AlertFactory(
        organization=org,
        name=name,
        service=service,
        instance=instance,
        summary=summary,
        status=status,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30) if status == "resolved" else None,
        labels={"alertname": name, "severity": "critical", "instance": instance, **labels},
    )


@pytest.fixture
def dataset(org_a, org_b):
    """The query alert, its expected neighbours in org A, and look-alikes in org B."""
    orders_api = ServiceFactory(organization=org_a, name="orders-api")
    orders_db = ServiceFactory(organization=org_a, name="orders-db", type="database")
    DependencyFactory(organization=org_a, source=orders_api, target=orders_db)
    graph.forget(org_a)
    q = alert(
        org_a,
        "DatabaseConnectionTimeout",
        service="orders-api",
        labels=ORDERS,
        days_ago=0,
        status="firing",
        summary="Connections from orders-api to orders-db time out",
        instance="orders-api-7:8080",
    )
    same = alert(
        org_a,
        "DatabaseConnectionTimeout",
        service="orders-api",
        labels=ORDERS,
        days_ago=3,
        summary="Connections from orders-api to orders-db time out",
        instance="orders-api-2:8080",
    )
    other_service = alert(
        org_a,
        "DatabaseConnectionTimeout",
        service="billing-api",
        days_ago=2,
        instance="billing-api-1:8080",
        labels={
            "service": "billing-api",
            "namespace": "billing",
            "env": "production",
            "db": "billing-db",
            "job": "app",
        },
        summary="Connections from billing-api to billing-db time out",
    )
    sibling = alert(
        org_a,
        "DatabaseConnectionErrors",
        service="orders-api",
        labels=ORDERS,
        days_ago=4,
        summary="orders-api fails to open connections to orders-db",
        instance="orders-api-3:8080",
    )
    upstream = alert(
        org_a,
        "HighLatency",
        service="orders-db",
        days_ago=5,
        instance="orders-db-0:9187",
        labels={"service": "orders-db", "env": "production", "job": "postgres"},
        summary="p99 query latency of orders-db above 500 ms",
    )
    unrelated = alert(
        org_a,
        "DiskWillFillIn4Hours",
        service="search",
        days_ago=1,
        instance="search-0:9100",
        labels={"service": "search", "env": "production", "mountpoint": "/var"},
        summary="Disk /var on search-0 fills up within 4 hours",
    )
    incident = IncidentFactory(organization=org_a, title="Orders database unreachable", status="resolved")
    IncidentAlertFactory(organization=org_a, incident=incident, alert=same)
    fix = SuccessfulRemediationFactory(
        organization=org_a,
        alert_pattern="Database*Timeout",
        service="orders-api",
        alert_labels={"service": "orders-api", "db": "orders-db"},
        problem_summary="orders-api cannot open connections to orders-db in time",
    )
    # Org B has the very same alert, a fix for it and feedback on it: none of it may leak into A.
    b_alert = alert(
        org_b,
        "DatabaseConnectionTimeout",
        service="orders-api",
        labels=ORDERS,
        days_ago=1,
        summary="Connections from orders-api to orders-db time out",
        instance="orders-api-2:8080",
    )
    b_fix = SuccessfulRemediationFactory(organization=org_b, alert_pattern="DatabaseConnectionTimeout")
    RemediationFeedbackFactory(organization=org_b, analysis__alert=b_alert)
    return {
        "q": q,
        "same": same,
        "other_service": other_service,
        "sibling": sibling,
        "upstream": upstream,
        "unrelated": unrelated,
        "incident": incident,
        "fix": fix,
        "b_alert": b_alert,
        "b_fix": b_fix,
    }


def keyed(cases):
    return [(c.kind, c.obj.pk) for c in cases]


def test_ranking_matches_the_expected_neighbours(dataset):
    d = dataset
    cases = similar_cases(alert=d["q"], min_score=0.1, limit=20)
    order = keyed(cases)
    by_key = {(c.kind, c.obj.pk): c for c in cases}
    # The same problem on the same service comes first (as an alert and as its incident), then the
    # curated fix for the pattern, then the same alert elsewhere and the sibling alert, then the
    # database it depends on; the unrelated disk alert is not similar at all.
    assert set(order[:2]) == {("alert", d["same"].pk), ("incident", d["incident"].pk)}
    assert order[2] == ("remediation", d["fix"].pk)
    assert set(order[3:5]) == {("alert", d["other_service"].pk), ("alert", d["sibling"].pk)}
    assert order[5] == ("alert", d["upstream"].pk)
    assert ("alert", d["unrelated"].pk) not in by_key
    assert ("alert", d["q"].pk) not in by_key
    same = by_key[("alert", d["same"].pk)]
    assert same.factors["name"] == 1.0 and same.factors["service"] == 1.0 and same.factors["text"] > 0.95
    assert same.relation == "same service"
    assert by_key[("incident", d["incident"].pk)].score == same.score
    assert by_key[("remediation", d["fix"].pk)].factors["name"] == 0.9  # matched through its shell pattern
    up = by_key[("alert", d["upstream"].pk)]
    assert up.factors["service"] == 0.6 and "1 hop" in up.relation
    assert all(0 <= c.score <= 1 for c in cases)
    assert [c.score for c in cases] == sorted((c.score for c in cases), reverse=True)


def test_default_threshold_keeps_only_real_neighbours(dataset):
    keys = keyed(similar_cases(alert=dataset["q"]))
    assert ("alert", dataset["upstream"].pk) not in keys  # below FEEDBACK_MIN_SIMILARITY
    assert ("alert", dataset["same"].pk) in keys


def test_other_organisations_never_appear(dataset, org_b):
    d = dataset
    for cases in (
        similar_cases(alert=d["q"], min_score=0.0, limit=50),
        similar_cases(alert=d["q"], min_score=0.0, limit=50, user=None, organization=d["q"].organization),
    ):
        orgs = {c.obj.organization_id for c in cases}
        assert orgs == {d["q"].organization_id}
        assert ("alert", d["b_alert"].pk) not in keyed(cases) and ("remediation", d["b_fix"].pk) not in keyed(cases)
    # Asking in org B's name for org A's alert finds nothing.
    assert similar_cases(alert=d["q"], organization=org_b) == []


def test_api_similar_endpoint(dataset, org_a, org_b, users_a, users_b, api_client_for):
    d = dataset
    url = reverse("remediation-similar")
    viewer = api_client_for(users_a["viewer"], org_a)
    response = viewer.get(url, {"alert_id": d["q"].pk, "min_score": 0.1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["alert"]["id"] == d["q"].pk
    results = body["results"]
    assert {(r["type"], r["id"]) for r in results[:2]} == {("alert", d["same"].pk), ("incident", d["incident"].pk)}
    top = results[0]
    assert set(top["factors"]) == {"name", "labels", "text", "service"} and 0 < top["score"] <= 1
    assert top["percent"] == round(top["score"] * 100)
    fix = next(r for r in results if r["type"] == "remediation")
    assert fix["solution_summary"] == d["fix"].solution_summary
    only_fixes = viewer.get(url, {"alert_id": d["q"].pk, "kind": "remediation"}).json()["results"]
    assert {r["type"] for r in only_fixes} == {"remediation"}
    # Another organisation's alert is "not found"; bad parameters are a 400 with field errors.
    other = api_client_for(users_b["viewer"], org_b)
    assert other.get(url, {"alert_id": d["q"].pk}).status_code == 404
    b_results = other.get(url, {"alert_id": d["b_alert"].pk, "min_score": 0}).json()["results"]
    assert all((r["type"], r["id"]) not in {("alert", d["same"].pk), ("remediation", d["fix"].pk)} for r in b_results)
    bad = viewer.get(url, {"alert_id": "x", "limit": 500})
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"alert_id", "limit"}
    assert viewer.get(url).status_code == 400


def test_team_scoped_user_only_sees_rows_of_their_teams(dataset, org_a):
    """A viewer of one team does not get another team's alerts as "similar" (portal and API path)."""
    team, other_team = TeamFactory(organization=org_a), TeamFactory(organization=org_a)
    d = dataset
    d["same"].team = other_team
    d["same"].save(update_fields=["team"])
    d["sibling"].team = team
    d["sibling"].save(update_fields=["team"])
    viewer = member(org_a, Role.VIEWER, username="team-viewer", teams=[team])
    keys = keyed(similar_cases(alert=d["q"], user=viewer, organization=org_a, min_score=0.1))
    assert ("alert", d["same"].pk) not in keys  # (nor its incident: it matched through that alert)
    assert ("alert", d["sibling"].pk) in keys
