"""Escalation levels that page whoever is on call, and on-call announcements to the team's channels."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from apps.notifications import services
from apps.notifications.models import NotificationDelivery
from apps.oncall import services as oncall
from apps.oncall.choices import ShiftUnit
from apps.timeline.models import TimelineEntry
from tests.tenancy.factories import TeamFactory

from .conftest import alert_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def rota(org_a, users_a):
    """Daily rotation operator → admin from 2 March 09:00 Berlin, weekly backup layer below."""
    schedule = oncall.schedule_create(organization=org_a, name="Payments", time_zone="Europe/Berlin",
                                      lead=users_a["owner"])
    oncall.layer_create(schedule=schedule, name="backup", position=1, shift_unit=ShiftUnit.WEEKS,
                        start_date=dt.date(2026, 3, 2), participants=[users_a["viewer"].pk])
    oncall.layer_create(schedule=schedule, name="primary", position=2, shift_unit=ShiftUnit.DAYS,
                        start_date=dt.date(2026, 3, 2), participants=[users_a["operator"].pk, users_a["admin"].pk])
    return schedule


def test_levels_page_the_person_on_call_then_the_backup_then_the_lead(
        alert_a, rota, rule_for, process, fire_timers, email_channel, smtp_server, users_a):
    policy = services.escalation_policy_save(organization=rota.organization, name="Payments paging", levels=[
        {"delay_minutes": 0, "channels": [email_channel], "oncall_schedule": rota, "oncall_target": "primary"},
        {"delay_minutes": 15, "channels": [email_channel], "oncall_schedule": rota, "oncall_target": "backup"},
        {"delay_minutes": 30, "channels": [email_channel], "oncall_schedule": rota, "oncall_target": "lead"},
    ])
    rule_for(escalate=True, escalation_policy=policy)
    # 08:50 on 3 March: still the operator (day 1 runs to 09:00), then the admin (day 2).
    t0 = dt.datetime(2026, 3, 3, 8, 50, tzinfo=ZoneInfo("Europe/Berlin"))
    process(alert_event(alert_a), now=t0)
    [first] = smtp_server.wait_for(1)
    assert first.rcpt_tos == [users_a["operator"].email]
    assert "Paging a-operator (on call for Payments)" in first.message.get_body(("plain",)).get_content()
    # The handoff at 09:00 happens between the escalation's start and level 2: resolved when it fires.
    fire_timers(t0 + dt.timedelta(minutes=15))
    second = smtp_server.wait_for(2)[1]
    assert second.rcpt_tos == [users_a["viewer"].email]  # the backup layer below the admin
    fire_timers(t0 + dt.timedelta(minutes=30))
    assert smtp_server.wait_for(3)[2].rcpt_tos == [users_a["owner"].email]
    reasons = list(NotificationDelivery.objects.filter(status="escalated").order_by("pk")
                   .values_list("reason", flat=True))
    assert "paged a-operator (on call for Payments)" in reasons[0]
    assert "paged a-viewer (backup for Payments)" in reasons[1]
    assert "paged a-owner (team lead of Payments)" in reasons[2]
    sentences = list(TimelineEntry.objects.filter(kind="escalation.fired").values_list("summary", flat=True))
    assert any("paged a-operator (on call for Payments)" in s for s in sentences), sentences


def test_a_level_whose_schedule_has_nobody_says_so(alert_a, rota, rule_for, process, email_channel, smtp_server):
    policy = services.escalation_policy_save(organization=rota.organization, name="p", levels=[
        {"delay_minutes": 0, "channels": [email_channel], "oncall_schedule": rota, "oncall_target": "backup"}])
    rule_for(escalate=True, escalation_policy=policy)
    process(alert_event(alert_a), now=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC))  # before the rotation starts
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
    berlin = ZoneInfo("Europe/Berlin")
    with django_capture_on_commit_callbacks(execute=True):
        oncall.schedule_check(schedule=rota, now=dt.datetime(2026, 3, 3, 8, tzinfo=berlin))
    with django_capture_on_commit_callbacks(execute=True):
        oncall.schedule_check(schedule=rota, now=dt.datetime(2026, 3, 3, 9, 1, tzinfo=berlin))
    [handoff] = hook.wait_for(1)
    assert handoff.path == "/room"
    assert "a-admin takes over from a-operator" in str(handoff.json)
    layer = rota.layers.get(name="backup")
    layer.end_date = dt.date(2026, 3, 9)
    oncall.layer_save(layer=layer)
    rota.layers.filter(name="primary").update(end_date=dt.date(2026, 3, 9))
    with django_capture_on_commit_callbacks(execute=True):
        oncall.schedule_check(schedule=rota, now=dt.datetime(2026, 3, 3, 10, tzinfo=berlin))
    gap = hook.wait_for(2)[1]
    assert "Nobody is on call for Payments" in str(gap.json)
    assert all(r.path == "/room" for r in hook.requests)
