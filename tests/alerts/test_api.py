"""The alerts API: filters, lifecycle actions with their roles, integrations, history and pagination."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from aiops.roles import Role
from apps.alerts import ingest
from apps.alerts.models import Alert, AlertEvent, Integration
from tests.alerts.factories import AlertFactory, IntegrationFactory
from tests.tenancy.factories import TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/alerts/"
INTEGRATIONS = "/api/v1/integrations/"


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def viewer(org_a, users_a, api_client_for):
    return api_client_for(users_a["viewer"], org_a)


@pytest.fixture
def operator(org_a, users_a, api_client_for):
    return api_client_for(users_a["operator"], org_a)


@pytest.fixture
def admin_client(org_a, users_a, api_client_for):
    return api_client_for(users_a["admin"], org_a)


# --- filters ---------------------------------------------------------------------------------------


@pytest.fixture
def population(org_a, org_b):
    now = timezone.now()
    team = TeamFactory(organization=org_a, slug="payments", name="Payments")
    integration = IntegrationFactory(organization=org_a, name="prod alertmanager")
    other_integration = IntegrationFactory(organization=org_a, name="staging alertmanager")
    rows = {
        "crit": AlertFactory(
            organization=org_a,
            integration=integration,
            severity="critical",
            service="payment-api",
            starts_at=now - timedelta(hours=1),
            team=team,
        ),
        "warn": AlertFactory(
            organization=org_a,
            integration=integration,
            name="DiskFilling",
            severity="warning",
            service="db",
            instance="db-1:9100",
            summary="Disk 91% full",
            labels={"alertname": "DiskFilling", "mountpoint": "/var/lib/postgresql", "team": "storage"},
            starts_at=now - timedelta(days=2),
        ),
        "info": AlertFactory(
            organization=org_a,
            integration=other_integration,
            name="Deployed",
            severity="info",
            service="web",
            environment="staging",
            starts_at=now - timedelta(minutes=5),
            summary="Release 42",
            instance="web-1:8080",
            acknowledged_at=now - timedelta(minutes=1),
        ),
        "resolved": AlertFactory(
            organization=org_a,
            integration=integration,
            severity="critical",
            service="web",
            summary="5xx on web",
            instance="web-2:8080",
            status="resolved",
            ends_at=now - timedelta(hours=2),
            starts_at=now - timedelta(hours=3),
            silenced_until=now + timedelta(hours=1),
        ),
        "foreign": AlertFactory(organization=org_b, severity="critical", service="payment-api"),
    }
    rows["team"] = team
    rows["integration"] = integration
    return rows


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=firing", {"crit", "warn", "info"}),
        ("status=resolved", {"resolved"}),
        ("severity=critical", {"crit", "resolved"}),
        ("severity=critical&severity=info", {"crit", "resolved", "info"}),
        ("severity=warning,info", {"warn", "info"}),
        ("service=web", {"info", "resolved"}),
        ("environment=staging", {"info"}),
        ("name=DiskFilling", {"warn"}),
        ("acknowledged=true", {"info"}),
        ("acknowledged=false", {"crit", "warn", "resolved"}),
        ("silenced=true", {"resolved"}),
        ("silenced=false", {"crit", "warn", "info"}),
        ("q=disk 91", {"warn"}),
        ("q=PAYMENT", {"crit"}),
        ("q=postgresql", {"warn"}),  # a label value
        ("q=db-1", {"warn"}),  # instance
        ("label=mountpoint=/var/lib/postgresql", {"warn"}),
        ("label=team=storage", {"warn"}),
        ("label=team=nobody", set()),
    ],
)
def test_filters(admin_client, population, query, expected):
    got = ids(admin_client.get(f"{ALERTS}?{query}"))
    assert got == {population[name].pk for name in expected}


def test_filter_by_team_integration_and_time_range(admin_client, population):
    viewer = admin_client
    assert ids(viewer.get(f"{ALERTS}?team={population['team'].pk}")) == {population["crit"].pk}
    assert ids(viewer.get(f"{ALERTS}?integration={population['integration'].pk}")) == {
        population[n].pk for n in ("crit", "warn", "resolved")
    }
    after = (timezone.now() - timedelta(hours=4)).isoformat()
    before = (timezone.now() - timedelta(minutes=30)).isoformat()
    got = ids(viewer.get(ALERTS, {"after": after, "before": before}))
    assert got == {population["crit"].pk, population["resolved"].pk}


def test_filter_by_another_orgs_integration_is_refused(viewer, population, org_b):
    foreign = IntegrationFactory(organization=org_b)
    response = viewer.get(f"{ALERTS}?integration={foreign.pk}")
    assert response.status_code == 400
    assert "integration" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("severity=urgent", "severity"),
        ("after=yesterday", "after"),
        ("label=no-equals", "label"),
        ("label=bad key=1", "label"),
        ("ordering=password", "ordering"),
        ("status=sleeping", "status"),
    ],
)
def test_bad_filters_are_400(viewer, population, query, field):
    response = viewer.get(f"{ALERTS}?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_ordering_by_severity_ranks_not_alphabet(admin_client, population):
    viewer = admin_client
    rows = viewer.get(f"{ALERTS}?ordering=-severity&status=firing").json()["results"]
    assert [r["severity"] for r in rows] == ["critical", "warning", "info"]
    rows = viewer.get(f"{ALERTS}?ordering=severity&status=firing").json()["results"]
    assert [r["severity"] for r in rows] == ["info", "warning", "critical"]
    rows = viewer.get(f"{ALERTS}?ordering=starts_at").json()["results"]
    starts = [r["starts_at"] for r in rows]
    assert starts == sorted(starts)


def test_team_rows_hidden_from_members_outside_the_team(org_a, population, api_client_for):
    outsider = member(org_a, Role.VIEWER, username="outsider")
    insider = member(org_a, Role.VIEWER, username="insider", teams=[population["team"]])
    crit = population["crit"].pk
    assert crit not in ids(api_client_for(outsider, org_a).get(ALERTS))
    assert api_client_for(outsider, org_a).get(f"{ALERTS}{crit}/").status_code == 404
    assert crit in ids(api_client_for(insider, org_a).get(ALERTS))


# --- reading -----------------------------------------------------------------------------------------


def test_list_and_detail_shape(admin_client, population):
    viewer = admin_client
    crit = population["crit"]
    AlertEvent.objects.create(
        organization=crit.organization, alert=crit, kind="fired", source="alertmanager", at=crit.starts_at
    )
    row = next(r for r in viewer.get(ALERTS).json()["results"] if r["id"] == crit.pk)
    assert row["team_name"] == "Payments"
    assert row["integration_name"] == "prod alertmanager"
    assert row["url"].endswith(f"/alerts/{crit.pk}/")
    assert "history" not in row
    detail = viewer.get(f"{ALERTS}{crit.pk}/").json()
    assert [e["kind"] for e in detail["history"]] == ["fired"]
    assert detail["labels"]["service"] == "payment-api"


def test_alerts_cannot_be_written_through_the_api(operator, admin_client, population):
    crit = population["crit"]
    assert admin_client.post(ALERTS, {"name": "x"}, format="json").status_code == 405
    assert admin_client.patch(f"{ALERTS}{crit.pk}/", {"name": "x"}, format="json").status_code == 405
    assert admin_client.delete(f"{ALERTS}{crit.pk}/").status_code == 405
    assert Alert.objects.get(pk=crit.pk).name == "HighErrorRate"


def test_list_query_count_is_constant(org_a, users_a, admin_client):
    viewer = admin_client
    team = TeamFactory(organization=org_a)
    integration = IntegrationFactory(organization=org_a)

    def make(n):
        for i in range(n):
            AlertFactory(
                organization=org_a,
                integration=integration,
                team=team if i % 2 else None,
                acknowledged_at=timezone.now(),
                acknowledged_by=users_a["operator"],
                assigned_to=users_a["admin"],
                resolved_by=users_a["owner"],
            )

    make(2)
    viewer.get(ALERTS)  # warm caches (content types, access)
    with CaptureQueriesContext(connection) as few:
        assert viewer.get(ALERTS).status_code == 200
    make(40)
    with CaptureQueriesContext(connection) as many:
        response = viewer.get(ALERTS)
    assert len(response.json()["results"]) == 42
    assert len(many) == len(few), [q["sql"] for q in many]
    assert len(many) <= 9, [q["sql"] for q in many]


def test_event_list_query_count_and_filter(org_a, users_a, viewer, django_assert_max_num_queries):
    alert = AlertFactory(organization=org_a)
    other = AlertFactory(organization=org_a)
    for kind in ("fired", "acknowledged", "resolved"):
        AlertEvent.objects.create(
            organization=org_a,
            alert=alert,
            kind=kind,
            source="api",
            actor=users_a["operator"],
            at=timezone.now(),
        )
    AlertEvent.objects.create(
        organization=org_a, alert=other, kind="fired", source="alertmanager", at=timezone.now()
    )
    viewer.get("/api/v1/alert-events/")
    with django_assert_max_num_queries(8):
        response = viewer.get(f"/api/v1/alert-events/?alert={alert.pk}")
    rows = response.json()["results"]
    assert [r["kind"] for r in rows] == ["fired", "acknowledged", "resolved"]
    assert rows[1]["actor"] == "a-operator"
    assert {r["kind"] for r in viewer.get("/api/v1/alert-events/?kind=fired").json()["results"]} == {"fired"}


def test_events_of_team_alerts_hidden_from_outsiders(org_a, api_client_for):
    team = TeamFactory(organization=org_a)
    hidden = AlertFactory(organization=org_a, team=team)
    AlertEvent.objects.create(
        organization=org_a, alert=hidden, kind="fired", source="alertmanager", at=timezone.now()
    )
    outsider = member(org_a, Role.VIEWER, username="outsider")
    assert api_client_for(outsider, org_a).get("/api/v1/alert-events/").json()["results"] == []


def test_pagination_caps_the_count(org_a, viewer, settings):
    settings.ALERTS_LIST_COUNT_CAP = 5
    integration = IntegrationFactory(organization=org_a)
    now = timezone.now()
    made = [
        AlertFactory(organization=org_a, integration=integration, starts_at=now - timedelta(minutes=i))
        for i in range(7)
    ]
    first = viewer.get(f"{ALERTS}?page_size=2").json()
    assert first["count"] == 5 and first["count_capped"] is True
    assert first["next"] and first["previous"] is None
    fourth = viewer.get(f"{ALERTS}?page_size=2&page=4").json()  # beyond the capped count, still served
    assert [r["id"] for r in fourth["results"]] == [made[6].pk]
    assert fourth["next"] is None
    assert viewer.get(f"{ALERTS}?page_size=2&page=5").status_code == 404
    exact = viewer.get(f"{ALERTS}?page_size=2&severity=critical&service=nothing").json()
    assert exact == {"count": 0, "next": None, "previous": None, "results": [], "count_capped": False}


# --- actions -------------------------------------------------------------------------------------------


def act(client, alert, action, body=None):
    return client.post(f"{ALERTS}{alert.pk}/{action}/", body or {}, format="json")


def test_viewer_cannot_act(viewer, org_a):
    alert = AlertFactory(organization=org_a)
    for action in ("acknowledge", "unacknowledge", "resolve", "silence", "assign"):
        response = act(viewer, alert, action, {"duration": "1h"})
        assert response.status_code == 403, action
    alert.refresh_from_db()
    assert alert.acknowledged_at is None and alert.status == "firing"


def test_other_orgs_alert_is_404(operator, org_b):
    foreign = AlertFactory(organization=org_b)
    assert act(operator, foreign, "acknowledge").status_code == 404
    foreign.refresh_from_db()
    assert foreign.acknowledged_at is None


def test_acknowledge_and_unacknowledge(operator, org_a):
    alert = AlertFactory(organization=org_a)
    response = act(operator, alert, "acknowledge", {"note": "looking"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["acknowledged_by"] == "a-operator" and body["acknowledged_at"]
    assert body["time_to_acknowledge_seconds"] >= 0
    event = body["history"][-1]
    assert (event["kind"], event["source"], event["actor"], event["note"]) == (
        "acknowledged",
        "api",
        "a-operator",
        "looking",
    )
    assert act(operator, alert, "acknowledge").status_code == 200  # idempotent
    assert act(operator, alert, "unacknowledge").json()["acknowledged_at"] is None
    conflict = act(operator, alert, "unacknowledge")
    assert conflict.status_code == 409
    assert conflict.json() == {"error": {"code": "conflict", "message": "The alert is not acknowledged."}}


def test_resolve_then_acknowledge_is_a_conflict(operator, org_a):
    alert = AlertFactory(organization=org_a)
    body = act(operator, alert, "resolve").json()
    assert body["status"] == "resolved" and body["resolved_by"] == "a-operator"
    assert body["time_to_resolve_seconds"] is not None
    response = act(operator, alert, "acknowledge")
    assert response.status_code == 409
    assert "resolved" in response.json()["error"]["message"]


def test_silence_with_duration_until_and_lift(operator, org_a):
    alert = AlertFactory(organization=org_a)
    before = timezone.now()
    body = act(operator, alert, "silence", {"duration": "2h"}).json()
    until = parse_datetime(body["silenced_until"])
    assert before + timedelta(hours=2) <= until <= timezone.now() + timedelta(hours=2)
    assert body["is_silenced"] is True
    target = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)
    body = act(operator, alert, "silence", {"until": target.isoformat()}).json()
    assert parse_datetime(body["silenced_until"]) == target
    body = act(operator, alert, "silence", {"until": None}).json()
    assert body["silenced_until"] is None and body["is_silenced"] is False
    assert [e["kind"] for e in body["history"]][-3:] == ["silenced", "silenced", "unsilenced"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "until"),
        ({"duration": "2h", "until": None}, "until"),
        ({"duration": "soon"}, "duration"),
        ({"duration": "0m"}, "duration"),
        ({"duration": "90d"}, "duration"),
        ({"until": "2001-01-01T00:00:00Z"}, "until"),
        ({"until": "not a time"}, "until"),
    ],
)
def test_silence_bad_bodies_are_400(operator, org_a, body, field):
    alert = AlertFactory(organization=org_a)
    response = act(operator, alert, "silence", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    alert.refresh_from_db()
    assert alert.silenced_until is None


def test_assign_by_username_user_id_and_unassign(operator, org_a, users_a, users_b):
    alert = AlertFactory(organization=org_a)
    assert act(operator, alert, "assign", {"username": "a-admin"}).json()["assigned_to"] == "a-admin"
    assert (
        act(operator, alert, "assign", {"user_id": users_a["viewer"].pk}).json()["assigned_to"] == "a-viewer"
    )
    body = act(operator, alert, "assign", {"username": None}).json()
    assert body["assigned_to"] is None
    assert body["history"][-1]["data"] == {"assignee": None}
    for bad in (
        {"username": "b-admin"},
        {"user_id": users_b["owner"].pk},
        {"username": UserFactory().username},
        {},
        {"username": "a-admin", "user_id": users_a["admin"].pk},
    ):
        response = act(operator, alert, "assign", bad)
        assert response.status_code == 400, (bad, response.content)
    alert.refresh_from_db()
    assert alert.assigned_to is None


# --- integrations ---------------------------------------------------------------------------------------


def test_admin_creates_integration_with_token_and_webhook_url(admin_client, org_a, settings):
    settings.AIOPS_BASE_URL = "https://aiops.example.com"
    response = admin_client.post(
        INTEGRATIONS, {"name": "prod", "auth_type": "bearer", "auth_secret": "s3cret"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    integration = Integration.objects.get(pk=body["id"])
    assert integration.organization == org_a and integration.created_by.username == "a-admin"
    assert integration.token and integration.token_hash == ingest.token_hash(integration.token)
    assert body["webhook_url"] == f"https://aiops.example.com/hooks/alertmanager/{integration.token}/"
    assert body["auth_secret_set"] is True
    assert "auth_secret" not in body and "s3cret" not in response.content.decode()
    assert integration.token not in str({k: v for k, v in body.items() if k != "webhook_url"})


def test_webhook_url_only_for_admins(viewer, operator, admin_client, org_a):
    integration = IntegrationFactory(organization=org_a)
    for client in (viewer, operator):
        body = client.get(f"{INTEGRATIONS}{integration.pk}/").json()
        assert "webhook_url" not in body and integration.token not in str(body)
    assert (
        admin_client.get(f"{INTEGRATIONS}{integration.pk}/")
        .json()["webhook_url"]
        .endswith(f"/hooks/alertmanager/{integration.token}/")
    )


def test_generic_integration_url(admin_client):
    body = admin_client.post(INTEGRATIONS, {"name": "custom", "kind": "generic"}, format="json").json()
    assert "/hooks/generic/" in body["webhook_url"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x", "auth_type": "bearer"}, "auth_secret"),
        ({"name": "x", "auth_type": "basic", "auth_secret": "pw"}, "auth_username"),
        ({"name": "x", "severity_mapping": {"p1": "urgent"}}, "severity_mapping"),
        ({"name": "x", "service_labels": "service, bad-label"}, "service_labels"),
        ({"name": "x", "kind": "nagios"}, "kind"),
    ],
)
def test_integration_validation(admin_client, payload, field):
    response = admin_client.post(INTEGRATIONS, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Integration.objects.filter(name="x").exists()


def test_update_keeps_secret_when_blank(admin_client, org_a):
    integration = IntegrationFactory(organization=org_a, auth_type="bearer", auth_secret="first")
    response = admin_client.patch(
        f"{INTEGRATIONS}{integration.pk}/", {"auth_secret": "", "enabled": False}, format="json"
    )
    assert response.status_code == 200, response.content
    integration.refresh_from_db()
    assert integration.auth_secret == "first" and integration.enabled is False


def test_rotate_token(admin_client, operator, org_a):
    integration = IntegrationFactory(organization=org_a)
    old = integration.token
    assert operator.post(f"{INTEGRATIONS}{integration.pk}/rotate-token/").status_code == 403
    response = admin_client.post(f"{INTEGRATIONS}{integration.pk}/rotate-token/")
    assert response.status_code == 200
    integration.refresh_from_db()
    assert integration.token != old
    assert response.json()["webhook_url"].endswith(f"/{integration.token}/")


def test_operator_cannot_create_integrations(operator):
    assert operator.post(INTEGRATIONS, {"name": "x"}, format="json").status_code == 403


def test_integration_team_must_be_in_org(admin_client, org_b):
    foreign_team = TeamFactory(organization=org_b)
    response = admin_client.post(INTEGRATIONS, {"name": "x", "team": foreign_team.pk}, format="json")
    assert response.status_code == 400
    assert "team" in response.json()["error"]["fields"]


def test_integration_filters(viewer, org_a):
    IntegrationFactory(organization=org_a, name="prod am")
    IntegrationFactory(organization=org_a, name="grafana", kind="generic", enabled=False)
    names = lambda q: {r["name"] for r in viewer.get(f"{INTEGRATIONS}?{q}").json()["results"]}  # noqa: E731
    assert names("kind=generic") == {"grafana"}
    assert names("enabled=true") == {"prod am"}
    assert names("q=PROD") == {"prod am"}


def test_severity_filter_does_not_make_the_database_deduplicate(admin_client, population):
    # DISTINCT over every selected column sorts the whole matching set: seconds at a million rows.
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(f"{ALERTS}?severity=critical,warning&status=firing").status_code == 200
    alert_sql = [q["sql"] for q in queries if '"alerts_alert"' in q["sql"]]
    assert alert_sql and not any("DISTINCT" in sql.upper() for sql in alert_sql)
