# ruff: noqa: F811 - the notifications fixtures are imported by name, then requested as arguments
"""An escalation level that names one person, paged through their own methods (a real SMTP server),
and the PagerDuty user routing key method (a loopback server checking the Events API v2 contract)."""
import pytest
from django.core.exceptions import ValidationError

from apps.notifications import services as notifications
from apps.notifications.models import EscalationPolicy, NotificationDelivery
from apps.oncall import services
from apps.tenancy.models import Membership
from apps.timeline.models import TimelineEntry
from tests.notifications.conftest import (  # noqa: F401 - fixtures
    alert_a,
    alert_event,
    email_channel,
    fire_timers,
    make_channel,
    pagerduty,
    pagerduty_channel,
    process,
    rule_for,
)

from .conftest import berlin

pytestmark = pytest.mark.django_db


def test_a_level_naming_a_person_pages_them_through_their_methods(
        users_a, org_a, alert_a, rule_for, process, fire_timers, email_channel, smtp_server):
    viewer, admin = users_a["viewer"], users_a["admin"]
    services.contact_method_create(organization=org_a, user=viewer, kind="email", target="viewer.home@example.com")
    policy = notifications.escalation_policy_save(organization=org_a, name="Named", levels=[
        {"delay_minutes": 0, "channels": [], "oncall_user": viewer},
        {"delay_minutes": 10, "channels": [], "oncall_user": admin.pk}])  # no methods: the account's e-mail
    rule_for(escalate=True, escalation_policy=policy)
    at = berlin(2026, 3, 9, 11)
    process(alert_event(alert_a), now=at)
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["viewer.home@example.com"]
    fire_timers(berlin(2026, 3, 9, 11, 10))
    assert smtp_server.wait_for(2)[1].rcpt_tos == [admin.email]
    reasons = list(NotificationDelivery.objects.filter(status="escalated").order_by("pk")
                   .values_list("reason", flat=True))
    assert "paged a-viewer (named in the policy) via email" in reasons[0]
    assert "paged a-admin (named in the policy)" in reasons[1]
    sentences = list(TimelineEntry.objects.filter(kind="escalation.fired").values_list("summary", flat=True))
    assert any("paged a-viewer (named in the policy)" in s for s in sentences), sentences


def test_a_named_person_who_left_the_organisation_is_not_paged(
        users_a, org_a, alert_a, rule_for, process, email_channel, smtp_server):
    viewer = users_a["viewer"]
    policy = notifications.escalation_policy_save(organization=org_a, name="Named", levels=[
        {"delay_minutes": 0, "channels": [email_channel], "oncall_user": viewer}])
    rule_for(escalate=True, escalation_policy=policy)
    Membership.objects.filter(organization=org_a, user=viewer).delete()
    process(alert_event(alert_a), now=berlin(2026, 3, 9, 11))
    assert "the named person is no longer a member" in NotificationDelivery.objects.get(status="escalated").reason
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["oncall@example.com"]  # the channel's own recipients only
    assert viewer.email not in {r for m in smtp_server.messages for r in m.rcpt_tos}


def test_the_policy_api_round_trips_a_named_person_and_refuses_outsiders(
        api_client_for, org_a, users_a, users_b, payments, email_channel):
    client = api_client_for(users_a["admin"], org_a)
    url = "/api/v1/notifications/escalation-policies/"
    ok = client.post(url, {"name": "named", "levels": [
        {"delay_minutes": 0, "channels": [], "oncall_user": users_a["viewer"].pk}]}, format="json")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["levels"][0]["oncall_user"] == users_a["viewer"].pk
    for level in ({"delay_minutes": 0, "channels": [], "oncall_user": users_b["viewer"].pk},
                  {"delay_minutes": 0, "channels": [], "oncall_user": users_a["viewer"].pk,
                   "oncall_schedule": payments.pk}):
        bad = client.post(url, {"name": "bad", "levels": [level]}, format="json")
        assert bad.status_code == 400, bad.json()
        assert "levels" in bad.json()["error"]["fields"]
    assert list(EscalationPolicy.objects.values_list("name", flat=True)) == ["named"]


PERSONAL_KEY = "V1EWERPERS0NALR0UT1NGKEY00000001"


def test_a_pagerduty_routing_key_is_validated_and_gets_an_events_api_v2_trigger(
        users_a, org_a, alert_a, rule_for, process, pagerduty, pagerduty_channel):
    viewer = users_a["viewer"]
    for bad in ("short", "x" * 31 + "!", "https://events.pagerduty.com/v2/enqueue"):
        with pytest.raises(ValidationError):
            services.contact_method_create(organization=org_a, user=viewer, kind="pagerduty", target=bad)
    services.contact_method_create(organization=org_a, user=viewer, kind="pagerduty", target=PERSONAL_KEY)
    policy = notifications.escalation_policy_save(organization=org_a, name="Named", levels=[
        {"delay_minutes": 0, "channels": [], "oncall_user": viewer}])
    rule_for(escalate=True, escalation_policy=policy)
    process(alert_event(alert_a), now=berlin(2026, 3, 9, 11))
    [page] = pagerduty.wait_for(1)
    pagerduty.assert_no_contract_errors()
    assert page.json["routing_key"] == PERSONAL_KEY  # the person's key, not the organisation channel's
    assert page.json["event_action"] == "trigger"
    assert page.json["payload"]["severity"] == "critical"
    assert "Escalation level 1" in page.json["payload"]["summary"] and alert_a.title in page.json["payload"]["summary"]
    sent = NotificationDelivery.objects.get(channel=pagerduty_channel)
    assert sent.status == "sent" and PERSONAL_KEY not in str(sent.data)  # the row keeps the method's id only
    assert "paged a-viewer (named in the policy) via pagerduty" in NotificationDelivery.objects.get(
        status="escalated").reason
