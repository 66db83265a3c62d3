# ruff: noqa: F811 - the notifications fixtures are imported by name, then requested as arguments
"""Personal notification methods (e-mail, Slack DM, personal webhook) and the shift-start notice.

Real PostgreSQL, a real SMTP server (aiosmtpd) and a Slack Web API stub checking Slack's contract.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from aiops import events
from apps.notifications import services as notifications
from apps.notifications import tasks as notification_tasks
from apps.notifications.models import NotificationDelivery
from apps.oncall import services
from apps.oncall.models import ContactMethod, Schedule
from tests.notifications.conftest import (  # noqa: F401 - fixtures
    alert_a,
    alert_event,
    email_channel,
    make_channel,
    process,
    rule_for,
    slack,
    slack_bot_channel,
)

from .conftest import berlin

pytestmark = pytest.mark.django_db


def test_methods_are_validated_owned_by_members_and_stored_encrypted(org_a, users_a, users_b):
    viewer = users_a["viewer"]
    method = services.contact_method_create(organization=org_a, user=viewer, kind="webhook",
                                            target="https://hooks.example.com/me?key=s3cret")
    for kind, target in (("email", "not-an-address"), ("slack", "#general"), ("webhook", "ftp://x"),
                         ("sms", "+49 123")):
        with pytest.raises(ValidationError):
            services.contact_method_create(organization=org_a, user=viewer, kind=kind, target=target)
    with pytest.raises(ValidationError):
        services.contact_method_create(organization=org_a, user=users_b["viewer"], kind="email",
                                       target="b@example.com")
    assert ContactMethod.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT target FROM oncall_contactmethod WHERE id = %s", [method.pk])
        assert "s3cret" not in cursor.fetchone()[0]
    second = services.contact_method_create(organization=org_a, user=viewer, kind="slack", target="U012ABCDEF")
    assert second.position == method.position + 1
    services.contact_method_update(method=second, label="DM", target="")  # empty keeps the stored target
    second.refresh_from_db()
    assert second.target == "U012ABCDEF" and second.label == "DM"


def _notices(published):
    return [e for e in published if e["name"] == "oncall.shift_starting"]


def test_the_shift_notice_is_published_once_before_the_shift_and_not_when_the_check_dies(
        payments, users_a, dispatched_events, django_capture_on_commit_callbacks):
    # Monday 9 March: the business-hours layer (a-viewer) takes over at 09:00 (15 minutes' notice).
    with django_capture_on_commit_callbacks(execute=True):
        assert "oncall.shift_starting" not in services.schedule_check(schedule=payments,
                                                                      now=berlin(2026, 3, 9, 8, 30))
    # A check that dies before its commit (a killed worker) publishes nothing and moves no marker.
    with pytest.raises(RuntimeError), transaction.atomic():
        assert "oncall.shift_starting" in services.schedule_check(schedule=payments, now=berlin(2026, 3, 9, 8, 46))
        raise RuntimeError("worker killed")
    assert not _notices(dispatched_events)
    for minute in (47, 50, 55, 59):
        with django_capture_on_commit_callbacks(execute=True):
            services.schedule_check(schedule=payments, now=berlin(2026, 3, 9, 8, minute))
    [notice] = _notices(dispatched_events)
    assert notice["data"]["user_id"] == users_a["viewer"].pk
    assert notice["data"]["title"] == "You are on call from 09:00 (Payments, primary)"
    # 17:00: back to the weekly primary (a-admin in week 2), told at 16:45 once.
    for hour, minute in ((16, 40), (16, 46), (16, 50), (17, 1)):
        with django_capture_on_commit_callbacks(execute=True):
            services.schedule_check(schedule=payments, now=berlin(2026, 3, 9, hour, minute))
    notices = _notices(dispatched_events)
    assert [n["data"]["user_id"] for n in notices] == [users_a["viewer"].pk, users_a["admin"].pk]
    assert notices[1]["data"]["starts_local"] == "17:00"
    assert Schedule.objects.get(pk=payments.pk).shift_notice_until == berlin(2026, 3, 9, 17, 16)


def test_the_shift_notice_reaches_the_person_by_email_and_slack_dm_once(
        payments, users_a, email_channel, smtp_server, slack, slack_bot_channel, org_a,
        django_capture_on_commit_callbacks):
    viewer = users_a["viewer"]
    services.contact_method_create(organization=org_a, user=viewer, kind="email", target="viewer.home@example.com")
    services.contact_method_create(organization=org_a, user=viewer, kind="slack", target="U0VIEWER01")
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_check(schedule=payments, now=berlin(2026, 3, 9, 8, 50))
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["viewer.home@example.com"]
    assert "You are on call from 09:00 (Payments, primary)" in mail.message["Subject"]
    [dm] = slack.wait_for(1)
    assert "U0VIEWER01" in dm.text and "incidents" not in dm.text  # the DM, not the channel
    slack.assert_no_contract_errors()
    # A redelivered event (the worker died after sending, before the broker ack) sends nothing again.
    from aiops.models import Event

    event = Event.objects.get(name="oncall.shift_starting").payload
    with django_capture_on_commit_callbacks(execute=True):
        assert not notification_tasks.oncall_announce([event])
    assert NotificationDelivery.objects.filter(event_name="oncall.shift_starting").count() == 2
    assert len(smtp_server.messages) == 1


def test_an_escalation_pages_the_person_on_call_through_their_methods_with_quiet_rules(
        payments, users_a, org_a, alert_a, rule_for, process, email_channel, smtp_server,
        slack, slack_bot_channel):
    at = berlin(2026, 3, 9, 11)  # Monday 11:00: a-viewer (business hours) is on call
    viewer = users_a["viewer"]
    services.contact_method_create(organization=org_a, user=viewer, kind="email", target="viewer.home@example.com")
    services.contact_method_create(organization=org_a, user=viewer, kind="slack", target="U0VIEWER01",
                                   critical_only=True)
    policy = notifications.escalation_policy_save(organization=org_a, name="Payments", levels=[
        {"delay_minutes": 0, "channels": [], "oncall_schedule": payments, "oncall_target": "primary"}])
    rule_for(escalate=True, escalation_policy=policy)
    process(alert_event(alert_a), now=at)  # critical: every method
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["viewer.home@example.com"]
    [dm] = slack.wait_for(1)
    assert "U0VIEWER01" in dm.text
    fired = NotificationDelivery.objects.get(status="escalated")
    assert "paged a-viewer (on call for Payments) via email, slack" in fired.reason
    slack.assert_no_contract_errors()


def test_a_non_critical_page_skips_a_critical_only_method(
        payments, users_a, org_a, rule_for, process, email_channel, smtp_server, slack,
        slack_bot_channel):
    from tests.alerts.factories import AlertFactory

    warning = AlertFactory(organization=org_a, name="DiskFilling", severity="warning", service="db")
    viewer = users_a["viewer"]
    services.contact_method_create(organization=org_a, user=viewer, kind="slack", target="U0VIEWER01",
                                   critical_only=True)
    services.contact_method_create(organization=org_a, user=viewer, kind="email", target="viewer.home@example.com")
    policy = notifications.escalation_policy_save(organization=org_a, name="Payments", levels=[
        {"delay_minutes": 0, "channels": [], "oncall_schedule": payments, "oncall_target": "primary"}])
    rule_for(escalate=True, escalation_policy=policy)
    process(alert_event(warning), now=berlin(2026, 3, 9, 11))
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["viewer.home@example.com"]
    assert not slack.requests
    assert "via email" in NotificationDelivery.objects.get(status="escalated").reason


def test_events_catalogue_knows_the_notice():
    assert "oncall.shift_starting" in events.CATALOGUE


def test_a_personal_webhook_goes_to_the_persons_url_through_the_organisations_webhook_channel(
        payments, users_a, org_a, make_channel, http_stub, django_capture_on_commit_callbacks):
    hook = http_stub(name="personal-hook")
    make_channel("webhook", url=hook.url + "/organisation", hmac_secret="shared-secret")
    method = services.contact_method_create(organization=org_a, user=users_a["viewer"], kind="webhook",
                                            target=hook.url + "/viewer?token=t0ps3cret")
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_check(schedule=payments, now=berlin(2026, 3, 9, 8, 50))
    [request] = hook.wait_for(1)
    assert request.path == "/viewer" and request.query == {"token": ["t0ps3cret"]}
    assert request.header("X-AIOps-Signature", "").startswith("sha256=")  # the channel's signature
    assert "You are on call from 09:00" in request.text
    delivery = NotificationDelivery.objects.get(event_name="oncall.shift_starting")
    assert delivery.data["recipient"]["method_id"] == method.pk and "t0ps3cret" not in str(delivery.data)
    # A method removed before a retry is not sent to anybody else.
    services.contact_method_delete(method=method)
    NotificationDelivery.objects.filter(pk=delivery.pk).update(status="pending", next_attempt_at=delivery.created_at)
    from apps.notifications.services.dispatch import delivery_send

    assert delivery_send(delivery_id=delivery.pk) == "failed"
    assert len(hook.requests) == 1
