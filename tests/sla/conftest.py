"""SLA fixtures: real domain events through the (eager) bus, SLAs of the brief."""
import pytest
from django.db import transaction

from aiops import events
from apps.alerts.summary import alert_summary
from tests.alerts.factories import AlertFactory
from tests.sla.factories import SLADefinitionFactory


@pytest.fixture
def run_commit(django_capture_on_commit_callbacks):
    """`run_commit(fn, *args, **kw)`: call fn in a transaction and run its on-commit fan-out now."""

    def do(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return fn(*args, **kwargs)

    return do


@pytest.fixture
def fire_alert(run_commit):
    """`fire_alert(org, starts_at=..., **fields)`: an alert and its alert.received event."""

    def make(org, **fields):
        alert = AlertFactory(organization=org, **fields)
        run_commit(events.publish, "alert.received", org=org, subject=alert, source="alertmanager", is_new=True,
                   **alert_summary(alert))
        return alert

    return make


@pytest.fixture
def brief_slas(org_a):
    """The brief's table: Critical 5/30 min, Standard 30 min/4 h, Payment System 2/15 min."""
    return {
        "critical": SLADefinitionFactory(organization=org_a, name="Critical", target_mtta_minutes=5,
                                         target_mttr_minutes=30, applies_to_severity=["critical"]),
        "standard": SLADefinitionFactory(organization=org_a, name="Standard", target_mtta_minutes=30,
                                         target_mttr_minutes=240, applies_to_severity=["warning"]),
        "payment": SLADefinitionFactory(organization=org_a, name="Payment System", target_mtta_minutes=2,
                                        target_mttr_minutes=15, applies_to_severity=[],
                                        applies_to_services=["payment-*"], breach_notify_channels=["email"]),
    }
