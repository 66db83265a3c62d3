"""Queries and beat checks on real rows: who is on call, shifts, gaps, handoff announcements."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from aiops.models import Event
from apps.oncall import selectors, services
from apps.oncall.choices import ShiftUnit

from .conftest import MONDAY, berlin

pytestmark = pytest.mark.django_db


def test_the_real_rotation_primary_business_hours_and_a_holiday_override(payments, users_a):
    op, admin, viewer, owner = (users_a[k] for k in ("operator", "admin", "viewer", "owner"))
    # Monday 2 March 08:00 (before the first handoff): nobody; 10:00: business hours on top, primary as backup.
    assert selectors.oncall_at(payments, berlin(2026, 3, 2, 8)) == []
    people = selectors.oncall_at(payments, berlin(2026, 3, 2, 10))
    assert [s.user_id for s in people] == [viewer.pk, op.pk]
    assert selectors.oncall_at(payments, berlin(2026, 3, 2, 20))[0].user_id == op.pk
    assert selectors.oncall_at(payments, berlin(2026, 3, 9, 10))[0].user_id == viewer.pk
    assert selectors.oncall_at(payments, berlin(2026, 3, 14, 12))[0].user_id == admin.pk  # Saturday, week 2
    # A holiday: the owner covers Wednesday 11 March all day, over both layers.
    services.override_create(schedule=payments, user=owner, start=berlin(2026, 3, 11), end=berlin(2026, 3, 12),
                             reason="public holiday", created_by=admin)
    assert selectors.oncall_at(payments, berlin(2026, 3, 11, 12))[0].user_id == owner.pk
    assert selectors.oncall_at(payments, berlin(2026, 3, 12, 12))[0].user_id == viewer.pk
    week = selectors.timeline(payments, berlin(2026, 3, 9, 9), berlin(2026, 3, 16, 9))
    assert [s.end for s in week[:-1]] == [s.start for s in week[1:]]  # contiguous
    assert {s.user_id for s in week} == {viewer.pk, admin.pk, owner.pk}
    mine = selectors.user_shifts(owner, payments.organization, berlin(2026, 3, 1), berlin(2026, 4, 1))
    assert [(s.start, s.end) for _, s in mine] == [(berlin(2026, 3, 11), berlin(2026, 3, 12))]
    nxt = selectors.next_shifts(payments, count=3, after=berlin(2026, 3, 2, 10))
    assert [s.user_id for s in nxt] == [viewer.pk, op.pk, viewer.pk]
    assert nxt[0].end == berlin(2026, 3, 2, 17)


def test_escalation_targets_primary_backup_and_lead(payments, users_a):
    at = berlin(2026, 3, 3, 10)
    org = payments.organization_id
    primary = selectors.escalation_target(organization_id=org, schedule_id=payments.pk, target="primary", at=at)
    backup = selectors.escalation_target(organization_id=org, schedule_id=payments.pk, target="backup", at=at)
    lead = selectors.escalation_target(organization_id=org, schedule_id=payments.pk, target="lead", at=at)
    assert primary["user_id"] == users_a["viewer"].pk and primary["why"] == "on call for Payments"
    assert backup["user_id"] == users_a["operator"].pk and backup["why"] == "backup for Payments"
    assert lead["user_id"] == users_a["owner"].pk
    assert selectors.escalation_target(organization_id=org + 999, schedule_id=payments.pk, target="primary", at=at) \
        is None
    assert selectors.escalation_target(organization_id=org, schedule_id=payments.pk, target="backup",
                                       at=berlin(2026, 3, 3, 20)) is None  # nights: nobody below the primary


def test_coverage_gaps_and_a_notification_once_per_gap(payments, users_a, team_a, dispatched_events,
                                                       django_capture_on_commit_callbacks):
    now = berlin(2026, 3, 2, 8)  # an hour before the first handoff
    gaps = selectors.coverage_gaps(payments, start=now)
    assert [(g.start, g.end) for g in gaps] == [(now, berlin(2026, 3, 2, 9))]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.schedule_check(schedule=payments, now=now) == ["oncall.coverage_gap"]
    [event] = [e for e in dispatched_events if e["name"] == "oncall.coverage_gap"]
    assert event["data"]["team_id"] == team_a.pk and event["data"]["gap_end"].startswith("2026-03-02T08")
    assert Event.objects.filter(name="oncall.coverage_gap").count() == 1
    assert services.schedule_check(schedule=payments, now=now + dt.timedelta(minutes=1)) == []
    # A new gap later (the rotation's last layer ends) is announced again.
    layer = payments.layers.get(name="Primary")
    layer.end_date = dt.date(2026, 3, 10)
    services.layer_save(layer=layer)
    assert "oncall.coverage_gap" in services.schedule_check(schedule=payments, now=berlin(2026, 3, 2, 9, 30))


def test_a_handoff_is_announced_once(payments, users_a, dispatched_events, django_capture_on_commit_callbacks):
    assert services.schedule_check(schedule=payments, now=berlin(2026, 3, 2, 10)) == []  # first look: no change
    assert services.schedule_check(schedule=payments, now=berlin(2026, 3, 2, 12)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.schedule_check(schedule=payments, now=berlin(2026, 3, 2, 17, 1)) == ["oncall.shift_changed"]
    assert services.schedule_check(schedule=payments, now=berlin(2026, 3, 2, 17, 2)) == []
    [event] = [e for e in dispatched_events if e["name"] == "oncall.shift_changed"]
    assert event["data"]["user_id"] == users_a["operator"].pk
    assert event["data"]["previous_user_id"] == users_a["viewer"].pk
    assert "is now on call for Payments" in event["data"]["title"]
    payments.announce_shift_changes = False
    payments.save()
    assert services.schedule_check(schedule=payments, now=berlin(2026, 3, 3, 9, 1)) == []


def test_bad_layers_and_overrides_are_refused_and_change_nothing(payments, users_a, users_b):
    count = payments.layers.count()
    with pytest.raises(ValidationError) as err:
        services.layer_create(schedule=payments, name="x", start_date=MONDAY, participants=[users_b["viewer"].pk])
    assert "participants" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.layer_create(schedule=payments, name="x", start_date=MONDAY, shift_unit=ShiftUnit.DAYS,
                              shift_length=1, restriction_start=dt.time(9))
    with pytest.raises(ValidationError):
        services.override_create(schedule=payments, user=users_a["viewer"], start=berlin(2026, 3, 2, 10),
                                 end=berlin(2026, 3, 2, 9))
    with pytest.raises(ValidationError):
        services.override_create(schedule=payments, user=users_b["viewer"], start=berlin(2026, 3, 2, 10),
                                 end=berlin(2026, 3, 2, 11))
    with pytest.raises(ValidationError):
        services.schedule_update(schedule=payments, time_zone="Mars/Olympus")
    assert payments.layers.count() == count and not payments.overrides.exists()


def test_feeds_are_secret_and_revocable(payments, org_a, users_a):
    feed, token = services.feed_create(organization=org_a, schedule=payments, created_by=users_a["admin"])
    assert services.feed_for_token(token) == feed
    assert services.feed_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert token not in feed.token_hash
    services.feed_revoke(feed=feed)
    assert services.feed_for_token(token) is None
