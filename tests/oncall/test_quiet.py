# ruff: noqa: F811 - the notifications fixtures are imported by name, then requested as arguments
"""Quiet hours per person: non-critical pages reach nobody personally in the window (real SMTP server)."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.notifications import services as notifications
from apps.notifications.models import NotificationDelivery
from apps.oncall import selectors, services
from apps.oncall.models import QuietHours
from tests.alerts.factories import AlertFactory
from tests.notifications.conftest import (  # noqa: F401 - fixtures
    alert_a,
    alert_event,
    email_channel,
    make_channel,
    process,
    rule_for,
)

from .conftest import berlin

pytestmark = pytest.mark.django_db


def test_quiet_hours_are_validated_and_cross_midnight(org_a, users_a, users_b):
    viewer = users_a["viewer"]
    for bad in ({"start": dt.time(22), "end": dt.time(22)}, {"time_zone": "Mars/Olympus"},
                {"weekdays": [7]}, {"user": users_b["viewer"]}):
        with pytest.raises(ValidationError):
            services.quiet_hours_set(**{"organization": org_a, "user": viewer, "start": dt.time(22),
                                        "end": dt.time(7), "time_zone": "Europe/Berlin", **bad})
    assert not QuietHours.objects.exists()
    services.quiet_hours_set(organization=org_a, user=viewer, start=dt.time(22), end=dt.time(7),
                             time_zone="Europe/Berlin", weekdays=[4])  # Friday night only
    assert not selectors.in_quiet_hours(organization_id=org_a.pk, user_id=viewer.pk, at=berlin(2026, 3, 13, 21))
    assert selectors.in_quiet_hours(organization_id=org_a.pk, user_id=viewer.pk, at=berlin(2026, 3, 13, 23))
    assert selectors.in_quiet_hours(organization_id=org_a.pk, user_id=viewer.pk, at=berlin(2026, 3, 14, 3))
    assert not selectors.in_quiet_hours(organization_id=org_a.pk, user_id=viewer.pk, at=berlin(2026, 3, 14, 8))
    assert not selectors.in_quiet_hours(organization_id=org_a.pk, user_id=viewer.pk, at=berlin(2026, 3, 14, 23))
    # The same window for another organisation's membership is not this one's.
    assert not selectors.in_quiet_hours(organization_id=org_a.pk + 1000, user_id=viewer.pk,
                                        at=berlin(2026, 3, 13, 23))


def test_a_non_critical_page_in_quiet_hours_reaches_nobody_personally_a_critical_one_does(
        users_a, org_a, alert_a, rule_for, process, email_channel, smtp_server):
    viewer = users_a["viewer"]
    services.contact_method_create(organization=org_a, user=viewer, kind="email", target="viewer.home@example.com")
    services.quiet_hours_set(organization=org_a, user=viewer, start=dt.time(22), end=dt.time(7),
                             time_zone="Europe/Berlin")
    policy = notifications.escalation_policy_save(organization=org_a, name="Named", levels=[
        {"delay_minutes": 0, "channels": [], "oncall_user": viewer}])
    rule_for(escalate=True, escalation_policy=policy)
    warning = AlertFactory(organization=org_a, name="DiskFilling", severity="warning", service="db")
    night = berlin(2026, 3, 9, 23, 30)
    process(alert_event(warning), now=night)
    fired = NotificationDelivery.objects.get(status="escalated")
    assert "not paged a-viewer (named in the policy) — quiet hours, not critical" in fired.reason
    assert NotificationDelivery.objects.filter(channel__isnull=False).count() == 0
    process(alert_event(alert_a), now=night + dt.timedelta(minutes=1))  # critical: quiet hours do not apply
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["viewer.home@example.com"]
    assert len(smtp_server.messages) == 1
