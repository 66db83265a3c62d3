"""Fixtures for runbook tests: an SSH target pointing at the real loopback sshd, YAML helpers,
and alert.received delivery through the real event bus (eager Celery, on-commit callbacks run)."""

from pathlib import Path

import pytest

from aiops import events
from apps.alerts.summary import alert_summary
from apps.runbooks import services
from apps.runbooks.models import SshTarget

DATA = Path(__file__).parent / "data"


def spec_yaml(name: str = "restart-service.yaml") -> str:
    return (DATA / name).read_text()


@pytest.fixture(autouse=True)
def _fast_live_flush(settings):
    settings.RUNBOOKS_LIVE_FLUSH_INTERVAL = 0.2


@pytest.fixture
def ssh_target(sshd_server, org_a):
    return SshTarget.objects.create(
        organization=org_a,
        name="loopback",
        host=sshd_server.host,
        port=sshd_server.port,
        username=sshd_server.username,
        private_key=sshd_server.client_key,
        host_key=sshd_server.host_public_key,
    )


@pytest.fixture
def import_yaml(org_a):
    def make(text: str, organization=None, **kwargs):
        return services.runbook_import_yaml(organization=organization or org_a, text=text, **kwargs).runbook

    return make


@pytest.fixture
def deliver_alert(django_capture_on_commit_callbacks):
    """Publish alert.received for an alert as ingestion does, and run every subscriber."""

    def deliver(alert, *, is_new=True):
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(
                "alert.received",
                org=alert.organization_id,
                subject=alert,
                is_new=is_new,
                **alert_summary(alert),
            )

    return deliver


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a service call and then its on-commit work (enqueued runs, events), as a request would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
