"""Clocks from real events: scope and the strictest SLA, acknowledgments, breaches exactly once."""
from datetime import timedelta

import pytest
from django.utils import timezone

from aiops.models import Event
from apps.alerts import services as alert_services
from apps.sla import services
from apps.sla.models import ItemEvent, SLABreach, SLAClock, SLATimer
from apps.sla.selectors import clocks_for_item

pytestmark = pytest.mark.django_db


def test_strictest_sla_wins_per_target_and_the_choice_is_kept(org_a, brief_slas, fire_alert):
    alert = fire_alert(org_a, severity="critical", service="payment-api",
                       starts_at=timezone.now() - timedelta(seconds=30))
    clocks = {c.target: c for c in SLAClock.objects.filter(subject_id=alert.pk)}
    assert clocks["mtta"].sla == brief_slas["payment"] and clocks["mtta"].target_seconds == 120
    assert clocks["mttr"].sla == brief_slas["payment"] and clocks["mttr"].target_seconds == 900
    assert [c["sla_name"] for c in clocks["mtta"].choice["candidates"]] == ["Payment System", "Critical"]
    assert clocks["mtta"].deadline_at == alert.starts_at + timedelta(minutes=2)
    assert SLATimer.objects.filter(clock__subject_id=alert.pk, fired_at__isnull=True).count() == 4


def test_out_of_scope_and_inactive(org_a, brief_slas, fire_alert):
    info = fire_alert(org_a, severity="info", service="search")
    assert not SLAClock.objects.filter(subject_id=info.pk).exists()
    brief_slas["standard"].is_active = False
    brief_slas["standard"].save()
    warning = fire_alert(org_a, severity="warning", service="search")
    assert not SLAClock.objects.filter(subject_id=warning.pk).exists()


def test_breach_fires_once_with_event_and_suggested_reason(org_a, brief_slas, fire_alert, run_commit, users_a):
    started = timezone.now() - timedelta(minutes=1)
    alert = fire_alert(org_a, severity="critical", service="checkout", starts_at=started)
    clock = SLAClock.objects.get(subject_id=alert.pk, target="mtta")
    deadline = started + timedelta(minutes=5)
    assert run_commit(services.timers_fire, now=deadline - timedelta(seconds=59))["warned"] == 1
    assert Event.objects.filter(name="sla.warning").count() == 1
    assert run_commit(services.timers_fire, now=deadline - timedelta(seconds=1))["breached"] == 0
    assert run_commit(services.timers_fire, now=deadline)["moved"] == 1  # due, but not passed: kept
    assert run_commit(services.timers_fire, now=deadline + timedelta(seconds=1))["breached"] == 1
    assert run_commit(services.timers_fire, now=deadline + timedelta(seconds=30)) == {
        "warned": 0, "breached": 0, "moved": 0, "retired": 0}
    breach = SLABreach.objects.get()
    assert breach.clock == clock and breach.breached_at == deadline and breach.breach_type == "mtta"
    assert breach.target_value == 5 and breach.notified
    [event] = Event.objects.filter(name="sla.breached")
    assert event.payload["data"]["alert_id"] == alert.pk and event.payload["data"]["sla_name"] == "Critical"
    clock.refresh_from_db()
    assert clock.state == "breached" and clock.breached_at == deadline


def test_an_acknowledgment_before_the_deadline_prevents_the_breach(org_a, brief_slas, fire_alert, run_commit,
                                                                     users_a):
    started = timezone.now() - timedelta(minutes=5) + timedelta(seconds=20)  # a slow machine: margin
    alert = fire_alert(org_a, severity="critical", service="checkout", starts_at=started)
    run_commit(alert_services.alert_acknowledge, alert=alert, user=users_a["operator"])
    clock = SLAClock.objects.get(subject_id=alert.pk, target="mtta")
    assert clock.state == "met" and clock.elapsed_seconds < 300
    run_commit(services.timers_fire, now=started + timedelta(minutes=10))
    assert not SLABreach.objects.filter(clock=clock).exists()
    assert SLAClock.objects.get(subject_id=alert.pk, target="mttr").state == "running"


def test_resolution_stops_mttr_and_settles_a_breach(org_a, brief_slas, fire_alert, run_commit, users_a):
    started = timezone.now() - timedelta(minutes=40)
    alert = fire_alert(org_a, severity="critical", service="checkout", starts_at=started)
    run_commit(services.timers_fire)
    assert set(SLABreach.objects.values_list("breach_type", flat=True)) == {"mtta", "mttr"}
    run_commit(alert_services.alert_resolve, alert=alert, user=users_a["operator"])
    mttr = SLABreach.objects.get(breach_type="mttr")
    assert 39.9 < mttr.actual_value < 41


def test_clocks_are_recomputed_exactly_from_the_item_events(org_a, brief_slas, fire_alert, run_commit):
    alert = fire_alert(org_a, severity="warning", service="search", starts_at=timezone.now() - timedelta(minutes=3))
    before = list(SLAClock.objects.filter(subject_id=alert.pk).order_by("target").values(
        "deadline_at", "started_at", "state"))
    SLAClock.objects.filter(subject_id=alert.pk).update(deadline_at=None, elapsed_seconds=0)
    SLATimer.objects.filter(clock__subject_id=alert.pk).update(due_at=None)
    from django.core.management import call_command

    call_command("sla_recompute", org=org_a.slug)
    after = list(SLAClock.objects.filter(subject_id=alert.pk).order_by("target").values(
        "deadline_at", "started_at", "state"))
    assert after == before
    assert SLATimer.objects.filter(clock__subject_id=alert.pk, due_at__isnull=False).count() == 4
    assert ItemEvent.objects.filter(subject_id=alert.pk).count() == 1


def test_silence_pauses_the_clock(org_a, brief_slas, fire_alert, run_commit, users_a):
    alert = fire_alert(org_a, severity="critical", service="checkout", starts_at=timezone.now())
    until = timezone.now() + timedelta(hours=1)
    run_commit(alert_services.alert_silence, alert=alert, user=users_a["operator"], until=until)
    clock = SLAClock.objects.get(subject_id=alert.pk, target="mtta")
    assert clock.state == "paused" and clock.deadline_at > until
    [view] = [v for v in clocks_for_item(user=users_a["viewer"], organization_id=org_a.pk, subject_kind="alert",
                                         subject_id=alert.pk) if v.clock.target == "mtta"]
    assert view.status == "paused"


def test_manual_pause_and_resume_are_timeline_events(org_a, brief_slas, fire_alert, run_commit, users_a):
    alert = fire_alert(org_a, severity="critical", service="checkout", starts_at=timezone.now())
    run_commit(services.item_pause, organization_id=org_a.pk, subject_kind="alert", subject_id=alert.pk,
               reason="third_party", user=users_a["operator"])
    assert SLAClock.objects.get(subject_id=alert.pk, target="mtta").deadline_at is None
    from apps.timeline.models import TimelineEntry

    assert TimelineEntry.objects.filter(kind="sla.paused", alert_id=alert.pk).exists()
    run_commit(services.item_resume, organization_id=org_a.pk, subject_kind="alert", subject_id=alert.pk,
               reason="third_party", user=users_a["operator"])
    assert SLAClock.objects.get(subject_id=alert.pk, target="mtta").deadline_at is not None


def test_live_timer_text(org_a, brief_slas, fire_alert, users_a):
    alert = fire_alert(org_a, severity="critical", service="payment-api",
                       starts_at=timezone.now() - timedelta(seconds=30))
    views = {v.clock.target: v for v in clocks_for_item(
        user=users_a["viewer"], organization_id=org_a.pk, subject_kind="alert", subject_id=alert.pk,
        now=alert.starts_at + timedelta(seconds=30))}
    assert views["mtta"].text == "00:01:30 until MTTA breach" and views["mtta"].status == "on_track"
    approaching = clocks_for_item(user=users_a["viewer"], organization_id=org_a.pk, subject_kind="alert",
                                  subject_id=alert.pk, now=alert.starts_at + timedelta(seconds=100))
    assert approaching[0].status == "approaching" and approaching[0].status_label == "Approaching deadline"


def test_incident_clocks_follow_the_lifecycle_and_a_reopen_resumes(org_a, users_a, run_commit):
    from apps.incidents import services as incident_services
    from tests.sla.factories import SLADefinitionFactory

    SLADefinitionFactory(organization=org_a, name="Incidents", measures="incidents", applies_to_severity=[],
                         target_mtta_minutes=15, target_mttr_minutes=60)
    incident = run_commit(incident_services.incident_create, organization=org_a, user=users_a["operator"],
                          title="Checkout down", severity="critical")
    clocks = {c.target: c for c in SLAClock.objects.filter(subject_kind="incident", subject_id=incident.pk)}
    assert set(clocks) == {"mtta", "mttr"} and clocks["mtta"].state == "running"
    run_commit(incident_services.incident_set_status, incident=incident, status="investigating",
               user=users_a["operator"])
    assert SLAClock.objects.get(pk=clocks["mtta"].pk).state == "met"
    run_commit(incident_services.incident_set_status, incident=incident, status="resolved", user=users_a["operator"])
    assert SLAClock.objects.get(pk=clocks["mttr"].pk).state == "met"
    run_commit(incident_services.incident_set_status, incident=incident, status="investigating",
               user=users_a["operator"])
    reopened = SLAClock.objects.get(pk=clocks["mttr"].pk)
    assert reopened.state == "running" and reopened.stopped_at is None
    assert SLATimer.objects.get(clock=reopened, kind="breach").due_at is not None
