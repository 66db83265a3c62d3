"""The shift notice with a real worker and beat: told once, even when the worker is killed and restarted."""
import datetime as dt
import time

import pytest
from django.utils import timezone

from apps.notifications.models import NotificationDelivery
from apps.oncall import services
from apps.oncall.choices import ShiftUnit
from tests.notifications.factories import NotificationChannelFactory
from tests.support.worker import _purge_broker, kill_worker, start_beat, start_worker


@pytest.fixture
def hourly(org_a, users_a):
    """An hourly UTC rotation whose next handoff is ~4 minutes from now (inside the 15-minute notice)."""
    soon = timezone.now() + dt.timedelta(minutes=4)
    schedule = services.schedule_create(organization=org_a, name="Hourly", time_zone="UTC",
                                        announce_shift_changes=False)
    services.layer_create(schedule=schedule, name="hourly", position=1, shift_unit=ShiftUnit.HOURS, shift_length=1,
                          start_date=(soon - dt.timedelta(days=1)).date(),
                          handoff_time=dt.time(soon.hour, soon.minute),
                          participants=[users_a["operator"].pk, users_a["viewer"].pk])
    return schedule


def test_a_real_beat_and_worker_tell_the_person_once_across_a_worker_kill(
        transactional_db, tmp_path, org_a, users_a, hourly, smtp_server):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from aiops import schedules
    from config.celery import app

    NotificationChannelFactory(organization=org_a, kind="email", name="mail", config={
        "smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "security": "none",
        "from_address": "aiops@example.com", "to_addresses": ["team@example.com"]})
    schedules.ensure_periodic_tasks()
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task__in=["oncall.check_schedules", "aiops.sweep_events"]).update(
        interval=every_second)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    _purge_broker(app)
    env = {"AIOPS_EVENT_GRACE_SECONDS": "2", "NOTIFICATIONS_OUTBOX_GRACE_SECONDS": "2"}
    (tmp_path / "w1").mkdir()
    (tmp_path / "w2").mkdir()
    (tmp_path / "beat").mkdir()
    beat = start_beat(tmp_path / "beat", extra_env=env)
    worker = start_worker(tmp_path / "w1", extra_env=env)
    try:
        [mail] = smtp_server.wait_for(1, timeout=90)
        kill_worker(worker)
        worker = start_worker(tmp_path / "w2", extra_env=env, name="oncall-second@%h")
        time.sleep(10)  # ~10 more beat checks with the new worker
        assert len(smtp_server.messages) == 1, [m.message["Subject"] for m in smtp_server.messages]
        assert "You are on call from" in mail.message["Subject"] and "(Hourly, primary)" in mail.message["Subject"]
        assert len(mail.rcpt_tos) == 1 and mail.rcpt_tos[0].endswith("@example.com")
        assert NotificationDelivery.objects.filter(event_name="oncall.shift_starting").count() == 1
    finally:
        worker.stop()
        beat.stop()
        app.conf.task_always_eager = previous
