"""MTTA/MTTR: figures checked against values worked out by hand, through the selector and the API."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.alerts import selectors
from apps.alerts.models import Alert
from tests.alerts.factories import AlertFactory, IntegrationFactory
from tests.tenancy.factories import TeamFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
STATS = "/api/v1/alerts/stats/"


def minutes(n):
    return timedelta(minutes=n)


@pytest.fixture
def history(org_a, org_b):
    """Seven alerts with known response times (minutes):

    | alert | severity | service | team | day    | ack after | resolved after |
    |-------|----------|---------|------|--------|-----------|----------------|
    | a1    | critical | pay     | ops  | Mon    | 2         | 10             |
    | a2    | critical | pay     | ops  | Mon    | 4         | 30             |
    | a3    | critical | web     | -    | Tue    | 12        | (firing)       |
    | a4    | warning  | web     | -    | Tue    | -         | 60             |
    | a5    | warning  | pay     | ops  | Wed    | 30        | 120            |
    | a6    | info     | web     | -    | Wed    | -         | (firing)       |
    | x     | critical | pay     | -    | Mon    | 1         | 1   (org B: never counted) |
    plus one alert outside the range (the Monday before) that must not count.
    """
    ops = TeamFactory(organization=org_a, name="Ops", slug="ops")
    integration = IntegrationFactory(organization=org_a)

    def make(severity, service, team, start, ack=None, resolve=None, org=org_a):
        extra = {"integration": integration} if org == org_a else {}
        alert = AlertFactory(
            organization=org, severity=severity, service=service, team=team, starts_at=start, **extra
        )
        if ack is not None:
            alert.acknowledged_at = start + minutes(ack)
        if resolve is not None:
            alert.status, alert.ends_at = "resolved", start + minutes(resolve)
        alert.save()
        return alert

    make("critical", "pay", ops, T0, ack=2, resolve=10)
    make("critical", "pay", ops, T0 + timedelta(hours=3), ack=4, resolve=30)
    make("critical", "web", None, T0 + timedelta(days=1), ack=12)
    make("warning", "web", None, T0 + timedelta(days=1, hours=2), resolve=60)
    make("warning", "pay", ops, T0 + timedelta(days=2), ack=30, resolve=120)
    make("info", "web", None, T0 + timedelta(days=2, hours=5))
    make("critical", "pay", None, T0, ack=1, resolve=1, org=org_b)
    make("critical", "pay", ops, T0 - timedelta(days=7), ack=1000, resolve=1000)
    return {"ops": ops}


def block(avg, p50, p95):
    as_seconds = lambda v: None if v is None else round(v * 60, 3)  # noqa: E731
    return {"avg_seconds": as_seconds(avg), "p50_seconds": as_seconds(p50), "p95_seconds": as_seconds(p95)}


# Totals: acknowledged 2, 4, 12, 30 → avg 12; p50 = 8; p95 = 12 + 0.85 * 18 = 27.3
#         resolved 10, 30, 60, 120 → avg 55; p50 = 45; p95 = 60 + 0.85 * 60 = 111
TOTALS = {
    "count": 6,
    "acknowledged": 4,
    "resolved": 4,
    "mtta": block(12, 8, 27.3),
    "mttr": block(55, 45, 111),
}


def stats(org, users, **kwargs):
    qs = Alert.objects.visible_to(users["admin"]).for_org(org)
    return selectors.alert_stats(queryset=qs, after=T0, before=T0 + timedelta(days=7), **kwargs)


def test_totals(org_a, users_a, history):
    assert stats(org_a, users_a)["totals"] == TOTALS


def test_by_severity(org_a, users_a, history):
    result = stats(org_a, users_a, group_by="severity")
    assert result["totals"] == TOTALS
    assert [g["key"] for g in result["groups"]] == ["critical", "warning", "info"]
    critical, warning, info = result["groups"]
    # critical: ack 2, 4, 12 → avg 6, p50 4, p95 4 + 0.9 * 8 = 11.2
    #           resolved 10, 30 → avg 20, p50 20, p95 10 + 0.95 * 20 = 29
    assert critical == {
        "key": "critical",
        "label": "Critical",
        "count": 3,
        "acknowledged": 3,
        "resolved": 2,
        "mtta": block(6, 4, 11.2),
        "mttr": block(20, 20, 29),
    }
    assert warning == {
        "key": "warning",
        "label": "Warning",
        "count": 2,
        "acknowledged": 1,
        "resolved": 2,
        "mtta": block(30, 30, 30),
        "mttr": block(90, 90, 117),
    }
    assert info == {
        "key": "info",
        "label": "Info",
        "count": 1,
        "acknowledged": 0,
        "resolved": 0,
        "mtta": block(None, None, None),
        "mttr": block(None, None, None),
    }


def test_by_service_and_team(org_a, users_a, history):
    by_service = {g["key"]: g for g in stats(org_a, users_a, group_by="service")["groups"]}
    assert set(by_service) == {"pay", "web"}
    # pay: ack 2, 4, 30 → avg 12; resolved 10, 30, 120 → avg 53.333
    assert by_service["pay"]["mtta"]["avg_seconds"] == 720.0
    assert by_service["pay"]["mttr"]["avg_seconds"] == pytest.approx(3200.0)
    assert by_service["pay"]["mttr"]["p50_seconds"] == 1800.0
    assert by_service["web"]["count"] == 3 and by_service["web"]["mttr"]["avg_seconds"] == 3600.0

    by_team = stats(org_a, users_a, group_by="team")["groups"]
    assert [(g["key"], g["label"], g["count"]) for g in by_team] == [
        (history["ops"].pk, "Ops", 3),
        (None, "(no team)", 3),
    ]
    assert by_team[0]["mtta"]["avg_seconds"] == 720.0


def test_by_day_and_week(org_a, users_a, history):
    days = stats(org_a, users_a, group_by="day")["groups"]
    assert [(g["key"], g["count"]) for g in days] == [("2026-03-02", 2), ("2026-03-03", 2), ("2026-03-04", 2)]
    assert days[0]["mtta"] == block(3, 3, 3.9)
    assert days[2]["mttr"] == block(120, 120, 120)
    weeks = stats(org_a, users_a, group_by="week")["groups"]
    assert [(g["key"], g["count"]) for g in weeks] == [("2026-03-02", 6)]
    assert {k: weeks[0][k] for k in TOTALS} == TOTALS


def test_percentile_matches_percentile_cont():
    assert selectors.percentile([2, 4, 12, 30], 0.5) == 8
    assert selectors.percentile([2, 4, 12, 30], 0.95) == pytest.approx(27.3)
    assert selectors.percentile([5], 0.95) == 5
    assert selectors.percentile([], 0.5) is None


def test_api_stats(org_a, users_a, history, api_client_for):
    client = api_client_for(users_a["admin"], org_a)  # admins see every team's alerts
    response = client.get(
        STATS,
        {"group_by": "severity", "after": T0.isoformat(), "before": (T0 + timedelta(days=7)).isoformat()},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totals"] == TOTALS
    assert body["groups"][0]["mtta"] == block(6, 4, 11.2)
    # Alert filters narrow the population too.
    narrowed = client.get(
        STATS, {"service": "web", "after": T0.isoformat(), "before": (T0 + timedelta(days=7)).isoformat()}
    ).json()
    assert narrowed["totals"]["count"] == 3 and narrowed["totals"]["mtta"]["avg_seconds"] == 720.0


def test_api_stats_hides_team_rows_from_outsiders(org_a, history, api_client_for):
    from aiops.roles import Role
    from tests.tenancy.factories import member

    outsider = member(org_a, Role.VIEWER, username="outsider")
    body = (
        api_client_for(outsider, org_a)
        .get(STATS, {"after": T0.isoformat(), "before": (T0 + timedelta(days=7)).isoformat()})
        .json()
    )
    assert body["totals"]["count"] == 3  # only the alerts without a team


def test_api_stats_defaults_to_last_seven_days(org_a, users_a, api_client_for):
    AlertFactory(organization=org_a)
    body = api_client_for(users_a["viewer"], org_a).get(STATS).json()
    assert body["group_by"] is None and body["totals"]["count"] == 1
    after, before = datetime.fromisoformat(body["after"]), datetime.fromisoformat(body["before"])
    assert before - after == timedelta(days=7)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"group_by": "colour"}, "group_by"),
        ({"after": "2026-03-05T00:00:00Z", "before": "2026-03-01T00:00:00Z"}, "after"),
        ({"after": "2020-01-01T00:00:00Z", "before": "2026-01-01T00:00:00Z"}, "after"),
        ({"after": "last tuesday"}, "after"),
    ],
)
def test_api_stats_bad_parameters(org_a, users_a, api_client_for, params, field):
    response = api_client_for(users_a["viewer"], org_a).get(STATS, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_percentiles_left_out_past_the_limit(org_a, users_a, history, settings):
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL computes percentiles in the database, without a limit")
    settings.ALERTS_STATS_PERCENTILE_LIMIT = 3
    result = stats(org_a, users_a)
    assert result["totals"]["mtta"] == {"avg_seconds": 720.0, "p50_seconds": None, "p95_seconds": None}
    assert "percentiles_note" in result
