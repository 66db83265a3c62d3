"""Escalation levels that page whoever is on call, and on-call announcements to the team's channels."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.notifications import services
from apps.notifications.models import NotificationDelivery
from apps.oncall import selectors
from apps.oncall import services as oncall
from apps.oncall.choices import ShiftUnit
from apps.timeline.models import TimelineEntry
from tests.tenancy.factories import TeamFactory

from .conftest import alert_event

pytestmark = pytest.mark.django_db


BERLIN = ZoneInfo("Europe/Berlin")
# Recent dates: the delivery log measures latency from the event's time, in a 32-bit column.
START = (timezone.now() - dt.timedelta(days=10)).astimezone(BERLIN).date()


@pytest.fixture
def rota(org_a, users_a):
    """Daily rotation operator, admin, ... (09:00 Berlin) from ten days ago, a weekly backup layer below."""
    schedule = oncall.schedule_create(organization=org_a, name="Payments", time_zone="Europe/Berlin",
                                      lead=users_a["owner"])
    oncall.layer_create(schedule=schedule, name="backup", position=1, shift_unit=ShiftUnit.WEEKS,
                        start_date=START, participants=[users_a["viewer"].pk])
    oncall.layer_create(schedule=schedule, name="primary", position=2, shift_unit=ShiftUnit.DAYS,
                        start_date=START, participants=[users_a["operator"].pk, users_a["admin"].pk])
    return schedule


def _yesterday(hour, minute=0):
    day = (timezone.now().astimezone(BERLIN) - dt.timedelta(days=1)).date()
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


def test_levels_page_the_person_on_call_then_the_backup_then_the_lead(
        alert_a, rota, rule_for, process, fire_timers, email_channel, smtp_server, users_a):
    policy = services.escalation_policy_save(organization=rota.organization, name="Payments paging", levels=[
        {"delay_minutes": 0, "channels": [email_channel], "oncall_schedule": rota, "oncall_target": "primary"},
        {"delay_minutes": 15, "channels": [email_channel], "oncall_schedule": rota, "oncall_target": "backup"},
        {"delay_minutes": 30, "channels": [email_channel], "oncall_schedule": rota, "oncall_target": "lead"},
    ])
    rule_for(escalate=True, escalation_policy=policy)
    t0 = _yesterday(8, 50)
    primary = selectors.oncall_at(rota, t0)[0].user_id
    before, after = (users_a["operator"], users_a["admin"])[:: 1 if primary == users_a["operator"].pk else -1]
    assert selectors.oncall_at(rota, t0 + dt.timedelta(minutes=15))[0].user_id == after.pk  # a handoff at 09:00
    process(alert_event(alert_a), now=t0)
    [first] = smtp_server.wait_for(1)
    assert first.rcpt_tos == [before.email]
    assert f"Paging {before.username} (on call for Payments)" in first.message.get_body(("plain",)).get_content()
    # Level 2 fires after the handoff and pages the backup of the person on call then.
    fire_timers(t0 + dt.timedelta(minutes=15))
    second = smtp_server.wait_for(2)[1]
    assert second.rcpt_tos == [users_a["viewer"].email]  # the backup layer below
    fire_timers(t0 + dt.timedelta(minutes=30))
    assert smtp_server.wait_for(3)[2].rcpt_tos == [users_a["owner"].email]
    reasons = list(NotificationDelivery.objects.filter(status="escalated").order_by("pk")
                   .values_list("reason", flat=True))
    assert f"paged {before.username} (on call for Payments)" in reasons[0]
    assert "paged a-viewer (backup for Payments)" in reasons[1]
    assert "paged a-owner (team lead of Payments)" in reasons[2]
    sentences = list(TimelineEntry.objects.filter(kind="escalation.fired").values_list("summary", flat=True))
    assert any(f"paged {before.username} (on call for Payments)" in s for s in sentences), sentences


def test_a_level_whose_schedule_has_nobody_says_so(alert_a, rota, rule_for, process, email_channel, smtp_server):
    policy = services.escalation_policy_save(organization=rota.organization, name="p", levels=[
        {"delay_minutes": 0, "channels": [email_channel], "oncall_schedule": rota, "oncall_target": "backup"}])
    rule_for(escalate=True, escalation_policy=policy)
    before_start = dt.datetime.combine(START - dt.timedelta(days=1), dt.time(12), tzinfo=BERLIN)
    process(alert_event(alert_a), now=before_start)
    fired = NotificationDelivery.objects.get(status="escalated")
    assert "nobody on call to page" in fired.reason
    # The channel's own recipients still get the page.
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["oncall@example.com"]


def test_policy_api_round_trips_the_oncall_target(api_client_for, org_a, users_a, rota, email_channel):
    client = api_client_for(users_a["admin"], org_a)
    body = {"name": "api", "levels": [{"delay_minutes": 0, "channels": [email_channel.pk],
                                       "oncall_schedule": rota.pk, "oncall_target": "backup"}]}
    created = client.post("/api/v1/notifications/escalation-policies/", body, format="json")
    assert created.status_code == 201, created.json()
    level = created.json()["levels"][0]
    assert level["oncall_schedule"] == rota.pk and level["oncall_target"] == "backup"


def test_handoffs_and_gaps_are_announced_to_the_team_channels(
        org_a, users_a, rota, make_channel, http_stub, django_capture_on_commit_callbacks):
    team = TeamFactory(organization=org_a)
    rota.team = team
    rota.save()
    hook = http_stub(name="team-room")
    room = make_channel("webhook", url=hook.url + "/room")
    room.team = team
    room.save()
    make_channel("webhook", url=hook.url + "/elsewhere")  # organisation-wide: not told
    with django_capture_on_commit_callbacks(execute=True):
        oncall.schedule_check(schedule=rota, now=_yesterday(8))
    with django_capture_on_commit_callbacks(execute=True):
        oncall.schedule_check(schedule=rota, now=_yesterday(9, 1))
    [handoff] = hook.wait_for(1)
    assert handoff.path == "/room"
    who, previous = (selectors.users_by_id([selectors.oncall_at(rota, t)[0].user_id])
                     for t in (_yesterday(9, 1), _yesterday(8)))
    who, previous = (next(iter(u.values())).username for u in (who, previous))
    assert who != previous and f"{who} takes over from {previous}" in str(handoff.json)
    ends = START + dt.timedelta(days=14)
    layer = rota.layers.get(name="backup")
    layer.end_date = ends
    oncall.layer_save(layer=layer)
    rota.layers.filter(name="primary").update(end_date=ends)
    with django_capture_on_commit_callbacks(execute=True):
        oncall.schedule_check(schedule=rota, now=_yesterday(10))
    gap = hook.wait_for(2)[1]
    assert "Nobody is on call for Payments" in str(gap.json)
    assert all(r.path == "/room" for r in hook.requests)
