"""Exactly-once effects: every event of a storm delivered again to every subscriber — twice, in a
shuffled order, as a batch and one at a time — changes no row anywhere.

The storm goes through the real webhook view; every app's real subscribers process it (eager
Celery), producing incidents, timeline entries, analyses, notifications, runbook executions and
change links. Then each subscription is handed its events again. The check is generic: the row
count of every table must stay as it was, so a subscriber added later is covered without a line
here.
"""
import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.urls import reverse

from aiops import events
from tests.alerts.factories import IntegrationFactory
from tests.changes.factories import ChangeEventFactory
from tests.logs.conftest import loki_streams
from tests.logs.factories import LogSourceFactory
from tests.notifications.factories import NotificationChannelFactory, NotificationRuleFactory
from tests.runbooks.test_triggers import runbook_yaml
from tests.sla.factories import SLADefinitionFactory
from tests.support import chaos

IGNORED = {"aiops.eventreceipt", "sessions.session", "django_celery_beat.periodictasks"}


def _counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in apps.get_models()
            if m._meta.label_lower not in IGNORED and not m._meta.proxy}


@pytest.mark.django_db(transaction=True)
def test_delivering_a_storm_twice_and_shuffled_changes_nothing(client, org_a, http_stub, dispatched_events):
    from apps.runbooks import services as runbooks

    hook = http_stub(name="pager")
    channel = NotificationChannelFactory(organization=org_a, kind="webhook", config={"url": hook.url + "/page"})
    NotificationRuleFactory(organization=org_a, grouping="per_alert", rate_limit_count=None, channels=[channel])
    runbooks.runbook_import_yaml(organization=org_a, text=runbook_yaml(
        "Semi fix", "semi_auto", "http://127.0.0.1:9", extra=", cooldown_minutes: 0"))
    integration = IntegrationFactory(organization=org_a)
    rng = random.Random(5)
    base = datetime.now(UTC) - timedelta(minutes=20)
    # The later apps' effects too: SLA clocks for every alert, log context from a loopback Loki.
    SLADefinitionFactory(organization=org_a, applies_to_severity=["critical", "warning"])
    loki = http_stub(name="loki")
    loki.set_default(200, json=loki_streams([(base, "ERROR [Checkout] connection refused to db-1:5432")]))
    LogSourceFactory(organization=org_a, url=loki.url, is_default=True)
    for service in chaos.SERVICES:
        ChangeEventFactory(organization=org_a, service=service, started_at=base - timedelta(minutes=5))
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})
    for n in range(4):
        body = chaos.alertmanager_body(rng, n, 4, base)
        for item in body["alerts"][:2]:
            item["labels"].update(alertname="ServiceDown", severity="critical")  # what the runbook triggers on
        assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 202
    resolved = chaos.alertmanager_body(rng, 0, 4, base)
    for item in resolved["alerts"]:
        item.update(status="resolved", endsAt=(base + timedelta(minutes=10)).isoformat())
    resolved["status"] = "resolved"
    assert client.post(url, data=json.dumps(resolved), content_type="application/json").status_code == 202

    before = _counts()
    names = {e["name"] for e in dispatched_events}
    assert {"alert.received", "alert.resolved", "incident.created", "incident.alert_added",
            "analysis.completed", "change.correlated", "notification.delivered"} <= names, names
    for table in ("incidents.incidentalert", "timeline.timelineentry", "analysis.analysis",
                  "notifications.notificationdelivery", "runbooks.runbookexecution", "changes.changecorrelation",
                  "sla.slaclock", "logs.alertlogcontext"):
        assert before[table] > 0, table

    by_subscription = defaultdict(list)
    for event in dispatched_events:
        for sub in events.subscribers(event["name"]):
            by_subscription[sub.task.name, sub.batch, sub.task].append(event)
    for (_name, batch, task), its_events in by_subscription.items():
        for _ in range(2):
            shuffled = rng.sample(its_events, len(its_events))
            if batch:
                task.apply(args=[shuffled], throw=True)
            for event in shuffled:
                task.apply(args=[event if not batch else [event]], throw=True)
    after = _counts()
    assert {t: (before[t], after[t]) for t in before if before[t] != after[t]} == {}
