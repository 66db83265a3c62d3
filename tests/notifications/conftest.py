"""Fixtures for the notifications tests: provider stubs with contracts, events, channels."""

import itertools

import pytest
from django.utils import timezone

from aiops import events
from apps.alerts.summary import alert_summary
from apps.notifications import services
from tests.alerts.factories import AlertFactory

from . import contracts
from .factories import NotificationChannelFactory, NotificationRuleFactory

_ts = itertools.count(1)


@pytest.fixture
def slack(http_stub):
    """A Slack Web API stub answering chat.postMessage / chat.update like Slack."""
    stub = http_stub(name="slack")
    stub.validate(contracts.slack_api)

    def next_ts():
        return f"1700000000.{next(_ts):06d}"

    stub.next_ts = next_ts
    stub.set_default(200, json=contracts.slack_ok(ts="1700000000.000001"))
    return stub


@pytest.fixture
def slack_webhook(http_stub):
    stub = http_stub(name="slack-webhook")
    stub.validate(contracts.slack_webhook)
    stub.set_default(200, body="ok")
    return stub


@pytest.fixture
def pagerduty(http_stub):
    stub = http_stub(name="pagerduty")
    stub.validate(contracts.pagerduty_event)
    stub.set_default(202, json={**contracts.PD_ACCEPTED, "dedup_key": "from-pd"})
    return stub


@pytest.fixture
def teams(http_stub):
    stub = http_stub(name="teams")
    stub.validate(contracts.teams_card)
    stub.set_default(200, body="1")
    return stub


@pytest.fixture
def make_channel(org_a):
    def make(kind, organization=None, **config):
        return NotificationChannelFactory(
            organization=organization or org_a, kind=kind, config=config, name=f"{kind} {next(_ts)}"
        )

    return make


@pytest.fixture
def slack_bot_channel(make_channel, slack):
    return make_channel(
        "slack",
        token="xoxb-test-token",
        channel="#incidents",
        api_url=slack.url + "/api/",
        signing_secret="slack-signing-secret",
    )


@pytest.fixture
def pagerduty_channel(make_channel, pagerduty):
    return make_channel(
        "pagerduty",
        routing_key="R0UT1NGKEY0000000000000000000000",
        api_url=pagerduty.url + "/v2/enqueue",
        webhook_secret="pd-webhook-secret",
    )


@pytest.fixture
def email_channel(make_channel, smtp_server):
    return make_channel(
        "email",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        security="none",
        from_address="aiops@example.com",
        to_addresses=["oncall@example.com"],
    )


@pytest.fixture
def rule_for(org_a):
    def make(*channels, organization=None, **fields):
        fields.setdefault("grouping", "per_alert")
        return NotificationRuleFactory(organization=organization or org_a, channels=list(channels), **fields)

    return make


@pytest.fixture
def alert_a(org_a):
    return AlertFactory(
        organization=org_a,
        name="DatabaseDown",
        severity="critical",
        service="database",
        instance="db-primary.production",
        summary="Database Primary Unreachable",
        annotations={"summary": "Database Primary Unreachable", "impact": "All database operations failing"},
    )


def alert_event(alert, name="alert.received", *, actor=None, **extra):
    alert.refresh_from_db()
    data = {**alert_summary(alert), "is_new": True, **extra}
    return events.build_event(name, org=alert.organization_id, subject=alert, actor=actor, **data)


@pytest.fixture
def process(django_capture_on_commit_callbacks):
    """process(event, now=None): decide, commit, and run every send it queued (eager Celery)."""

    def run(event, now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.event_process(event=event, now=now or timezone.now())

    return run


@pytest.fixture
def fire_timers(django_capture_on_commit_callbacks):
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return services.timers_fire_due(now=now)

    return run


# Short timings for worker processes, so lease expiry and re-scans happen within a test.
FAST_WORKER_ENV = {
    "NOTIFICATIONS_LEASE_SECONDS": "4",
    "NOTIFICATIONS_OUTBOX_GRACE_SECONDS": "1",
    "NOTIFICATIONS_RETRY_BASE_SECONDS": "1",
}


@pytest.fixture
def notify_workers(transactional_db, tmp_path):
    """`notify_workers(beat=False, **env)` starts a real Celery worker (and beat) on the test database.

    The test process publishes through the broker meanwhile; every worker is killed at teardown.
    """
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from aiops import schedules
    from config.celery import app
    from tests.support.worker import _purge_broker, kill_worker, start_worker

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    _purge_broker(app)
    started = []

    def start(*, beat: bool = False, **env):
        if beat:
            schedules.ensure_periodic_tasks()
            every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
            beat_tasks = ["notifications.fire_timers", "notifications.rescan_outbox"]
            PeriodicTask.objects.filter(task__in=beat_tasks).update(interval=every_second)
        folder = tmp_path / f"worker-{len(started)}"
        folder.mkdir()
        worker = start_worker(folder, beat=beat, extra_env={**FAST_WORKER_ENV, **env})
        started.append(worker)
        return worker

    start.purge = lambda: _purge_broker(app)
    yield start
    for worker in started:
        kill_worker(worker)
    app.conf.task_always_eager = previous
