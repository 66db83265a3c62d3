"""Clocks with a real Celery worker and beat: a breach fires once and on time, and a worker killed
mid-clock loses nothing: after the restart the breach fires, exactly once."""
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from aiops import events
from aiops.models import Event
from apps.alerts.summary import alert_summary
from apps.sla.models import SLABreach, SLAClock
from tests.alerts.factories import AlertFactory
from tests.sla.factories import SLADefinitionFactory

pytestmark = pytest.mark.slow

TARGET_SECONDS = 15


def wait_until(check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture
def sla_workers(transactional_db, tmp_path):
    """`sla_workers(beat=False)` starts a real worker (with beat ticking SLA timers every second)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from aiops import schedules
    from config.celery import app
    from tests.support.worker import _purge_broker, kill_worker, start_worker

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    _purge_broker(app)
    started = []

    def start(*, beat: bool = False):
        if beat:
            schedules.ensure_periodic_tasks()
            every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
            PeriodicTask.objects.exclude(task="sla.fire_timers").update(enabled=False)
            PeriodicTask.objects.filter(task="sla.fire_timers").update(interval=every_second, enabled=True)
        folder = tmp_path / f"worker-{len(started)}"
        folder.mkdir()
        worker = start_worker(folder, beat=beat, extra_env={"AIOPS_EVENT_GRACE_SECONDS": "2"})
        started.append(worker)
        return worker

    yield start
    for worker in started:
        kill_worker(worker)
    app.conf.task_always_eager = previous


def _fire(org):
    alert = AlertFactory(organization=org, severity="critical", service="checkout", starts_at=timezone.now())
    events.publish("alert.received", org=org, subject=alert, is_new=True, source="alertmanager",
                   **alert_summary(alert))
    return alert


def test_breach_fires_once_and_on_time(sla_workers, org_a):
    SLADefinitionFactory(organization=org_a, name="Fast", target_mtta_minutes=TARGET_SECONDS / 60,
                         target_mttr_minutes=None, applies_to_severity=["critical"])
    worker = sla_workers(beat=True)
    alert = _fire(org_a)
    assert wait_until(lambda: SLABreach.objects.filter(alert_id=alert.pk).exists()), worker.log()[-3000:]
    seen_at = timezone.now()
    deadline = alert.starts_at + timedelta(seconds=TARGET_SECONDS)
    time.sleep(3)  # more ticks: nothing more may fire
    breach = SLABreach.objects.get(alert_id=alert.pk)
    assert breach.breached_at == deadline
    assert Event.objects.filter(name="sla.breached").count() == 1
    latency = (seen_at - deadline).total_seconds()
    print(f"breach recorded {latency:.1f} s after its deadline")
    assert latency < 30


def test_a_worker_killed_mid_clock_still_breaches_exactly_once_after_restart(sla_workers, org_a):
    from tests.support.worker import kill_worker

    SLADefinitionFactory(organization=org_a, name="Fast", target_mtta_minutes=TARGET_SECONDS / 60,
                         target_mttr_minutes=None, applies_to_severity=["critical"])
    first = sla_workers()
    alert = _fire(org_a)
    assert wait_until(lambda: SLAClock.objects.filter(subject_id=alert.pk).exists()), first.log()[-3000:]
    kill_worker(first)  # mid-clock: the deadline is still ahead
    deadline = alert.starts_at + timedelta(seconds=TARGET_SECONDS)
    assert timezone.now() < deadline
    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()) + 1)
    assert not SLABreach.objects.exists()  # nobody is running to notice

    second = sla_workers(beat=True)
    assert wait_until(lambda: SLABreach.objects.exists()), second.log()[-3000:]
    time.sleep(3)
    assert SLABreach.objects.count() == 1 and SLABreach.objects.get().breached_at == deadline
    assert Event.objects.filter(name="sla.breached").count() == 1
    assert SLAClock.objects.get(subject_id=alert.pk).state == "breached"
