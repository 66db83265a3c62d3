"""Runbook triggers in batches: one transaction's alert.received events are one task call; the
matching is read once for the batch, firing stays per alert (limits lock the runbook), and a
redelivered batch starts or schedules nothing twice."""

import pytest

from aiops import events
from apps.alerts.summary import alert_summary
from apps.runbooks import tasks
from apps.runbooks.models import RunbookExecution, TriggerWait
from tests.alerts.factories import AlertFactory
from tests.runbooks.test_triggers import runbook_yaml
from tests.tenancy.factories import TeamFactory

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9"  # never called: runs are enqueued on commit, which these tests do not reach


def _received(alerts, *, is_new=True):
    return [events.build_event("alert.received", org=a.organization_id, subject=a, is_new=is_new, **alert_summary(a))
            for a in alerts]


def test_runbook_triggers_subscribe_in_batches():
    assert [s.batch for s in events.subscribers("alert.received") if s.task is tasks.on_alert_received] == [True]


def test_a_storm_is_one_call_and_a_redelivery_adds_nothing(org_a, import_yaml):
    slow = import_yaml(runbook_yaml("Slow fix", "auto", URL,
                                    trigger="{alert_pattern: 'ServiceDown*', min_duration_seconds: 300}"))
    semi = import_yaml(runbook_yaml("Semi fix", "semi_auto", URL))
    import_yaml(runbook_yaml("Manual fix", "manual", URL))
    storm = [AlertFactory(organization=org_a, name="ServiceDown", labels={"service": f"web-{i}"}) for i in range(10)]
    batch = _received(storm) + _received([AlertFactory(organization=org_a, name="DiskFull")])

    assert tasks.on_alert_received.apply(args=[batch], throw=True).get() == 20
    assert TriggerWait.objects.filter(runbook=slow).count() == 10
    statuses = list(RunbookExecution.objects.filter(runbook=semi).order_by("pk").values_list("status", flat=True))
    assert statuses == ["pending_approval"] + ["refused"] * 9  # in alert order: the first holds the runbook

    assert tasks.on_alert_received.apply(args=[batch + batch[:3]], throw=True).get() == 0
    assert TriggerWait.objects.count() == 10 and RunbookExecution.objects.count() == 10


def test_a_partly_handled_batch_handles_only_the_rest(org_a, import_yaml):
    import_yaml(runbook_yaml("Semi fix", "semi_auto", URL, extra=", cooldown_minutes: 0"))
    alerts = [AlertFactory(organization=org_a, name="ServiceDown", labels={"service": f"web-{i}"}) for i in range(3)]
    batch = _received(alerts)
    tasks.on_alert_received.apply(args=[batch[:1]], throw=True)  # the worker died after the first
    tasks.on_alert_received.apply(args=[batch], throw=True)
    assert sorted(RunbookExecution.objects.values_list("alert_id", flat=True)) == sorted(a.pk for a in alerts)


def test_team_runbooks_in_a_mixed_batch_fire_for_their_team_only(org_a, import_yaml):
    team, other = TeamFactory(organization=org_a), TeamFactory(organization=org_a)
    team_book = import_yaml(runbook_yaml("Team fix", "semi_auto", URL), team=team)
    ours = AlertFactory(organization=org_a, team=team, name="ServiceDown", labels={"service": "a"})
    theirs = AlertFactory(organization=org_a, team=other, name="ServiceDown", labels={"service": "b"})
    nobody = AlertFactory(organization=org_a, name="ServiceDown", labels={"service": "c"})
    tasks.on_alert_received.apply(args=[_received([theirs, nobody, ours])], throw=True)
    assert list(RunbookExecution.objects.values_list("runbook_id", "alert_id")) == [(team_book.pk, ours.pk)]


def test_skipped_and_malformed_events_cost_the_others_nothing(org_a, import_yaml):
    semi = import_yaml(runbook_yaml("Semi fix", "semi_auto", URL))
    resent, fresh = (AlertFactory(organization=org_a, name="ServiceDown", labels={"service": s}) for s in "ab")
    broken = {**_received([fresh])[0], "data": {"alert_id": "not-a-number"}}
    with pytest.raises(ValueError):
        tasks.on_alert_received.apply(args=[[broken, *_received([resent], is_new=False), *_received([fresh])]],
                                      throw=True)
    assert list(RunbookExecution.objects.values_list("runbook_id", "alert_id")) == [(semi.pk, fresh.pk)]
