"""Rule conditions: triggers, severities, glob and regex names, label matchers, services, windows."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from apps.notifications import services
from apps.notifications.matching import facts_from_event, in_window, rule_matches, trigger_for
from apps.notifications.models import NotificationRule

NOW = datetime(2024, 3, 6, 3, 0, tzinfo=ZoneInfo("UTC"))  # a Wednesday, 3 AM


def facts(**data):
    base = {
        "alert_id": 1,
        "name": "DatabaseDown",
        "severity": "critical",
        "service": "database",
        "instance": "db-primary",
        "labels": {"env": "production", "team": "dba", "alertname": "DatabaseDown"},
        "team_id": None,
        "title": "Database Primary Unreachable",
    }
    return facts_from_event(
        {
            "id": "e",
            "name": "alert.received",
            "subject": {"type": "alerts.alert", "id": 1},
            "data": {**base, **data},
        }
    )


def rule(**fields):
    fields.setdefault("trigger_on", ["alert_received"])
    return NotificationRule(name="r", **fields)


@pytest.mark.parametrize(
    "fields,expected",
    [
        ({}, True),
        ({"trigger_on": ["analysis_complete"]}, False),
        ({"severity_filter": ["critical"]}, True),
        ({"severity_filter": ["warning", "info"]}, False),
        ({"alert_name_pattern": "Database*"}, True),
        ({"alert_name_pattern": "database*"}, False),  # globs are case-sensitive, like label matchers
        ({"alert_name_pattern": "Data(base|store)Down", "alert_name_mode": "regex"}, True),
        ({"alert_name_pattern": "Database", "alert_name_mode": "regex"}, False),  # full match
        ({"label_matchers": [{"label": "env", "op": "equals", "value": "production"}]}, True),
        ({"label_matchers": [{"label": "env", "op": "not_equals", "value": "production"}]}, False),
        ({"label_matchers": [{"label": "env", "op": "regex", "value": "prod.*"}]}, True),
        ({"label_matchers": [{"label": "env", "op": "not_regex", "value": "prod.*"}]}, False),
        ({"label_matchers": [{"label": "team", "op": "glob", "value": "db*"}]}, True),
        ({"label_matchers": [{"label": "team", "op": "not_glob", "value": "db*"}]}, False),
        ({"label_matchers": [{"label": "missing", "op": "equals", "value": ""}]}, True),
        ({"services": ["DATA*"]}, True),
        ({"services": ["api", "web"]}, False),
        ({"active_from": time(22, 0), "active_to": time(6, 0)}, True),  # wraps past midnight
        ({"active_from": time(9, 0), "active_to": time(17, 0)}, False),
        ({"active_days": [5, 6]}, False),  # weekend only
        ({"active_days": [1], "active_from": time(22, 0), "active_to": time(6, 0)}, True),  # Tuesday's night
    ],
)
def test_rule_conditions(fields, expected):
    assert rule_matches(rule(**fields), facts(), now=NOW) is expected


def test_team_filter():
    assert rule_matches(rule(), facts(team_id=5), now=NOW, team_ids={5})
    assert not rule_matches(rule(), facts(team_id=6), now=NOW, team_ids={5})


def test_time_window_uses_the_rules_time_zone():
    # 03:00 UTC is 12:00 in Tokyo: a business-hours rule there matches.
    assert in_window(days=[], start=time(9), end=time(17), tz="Asia/Tokyo", now=NOW)
    assert not in_window(days=[], start=time(9), end=time(17), tz="UTC", now=NOW)


@pytest.mark.parametrize(
    "name,data,trigger",
    [
        ("alert.received", {}, "alert_received"),
        ("analysis.completed", {}, "analysis_complete"),
        ("runbook.approval_needed", {}, "approval_needed"),
        ("runbook.execution_started", {}, "execution_started"),
        ("runbook.execution_finished", {"status": "succeeded"}, "execution_success"),
        ("runbook.execution_finished", {"status": "failed"}, "execution_failed"),
        ("runbook.execution_finished", {"status": "rolled_back"}, "execution_failed"),
        ("incident.created", {}, "incident_created"),
        ("incident.status_changed", {"status": "investigating"}, "incident_updated"),
        ("incident.status_changed", {"status": "resolved"}, "incident_resolved"),
        ("incident.alert_added", {}, None),
        ("sla.breached", {}, "sla_breach"),
        ("escalation.fired", {}, "escalation"),
    ],
)
def test_triggers(name, data, trigger):
    assert trigger_for(name, data) == trigger


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields,field",
    [
        ({"trigger_on": []}, "trigger_on"),
        ({"trigger_on": ["alert_received", "page_me"]}, "trigger_on"),
        ({"severity_filter": ["urgent"]}, "severity_filter"),
        ({"alert_name_pattern": "(unclosed", "alert_name_mode": "regex"}, "alert_name_pattern"),
        ({"label_matchers": [{"label": "env", "op": "regex", "value": "["}]}, "label_matchers"),
        ({"label_matchers": [{"label": "env", "op": "~="}]}, "label_matchers"),
        ({"active_days": [7]}, "active_days"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"services": "api"}, "services"),
    ],
)
def test_invalid_rules_are_refused(org_a, fields, field):
    fields.setdefault("trigger_on", ["alert_received"])
    with pytest.raises(ValidationError) as exc:
        services.rule_create(organization=org_a, name="bad", **fields)
    assert field in exc.value.message_dict
