"""Periodic tasks as django-celery-beat rows, created after `migrate` and tunable in the admin.

Apps declare their schedules in `ready()` with `register_periodic_task(...)`; the rows are
created once (existing rows keep any interval an operator changed in the admin).
"""
from dataclasses import dataclass

from django.db.models.signals import post_migrate

_schedules: dict[str, "Schedule"] = {}


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_seconds: int
    queue: str | None = None
    description: str = ""


def register_periodic_task(name: str, task: str, *, every_seconds: int, queue: str | None = None,
                           description: str = "") -> None:
    _schedules[name] = Schedule(name, task, every_seconds, queue, description)


def ensure_periodic_tasks(**kwargs) -> None:
    """post_migrate handler: create missing PeriodicTask rows; never overwrite an operator's edits."""
    from django.db import connections
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    connection = connections[kwargs.get("using") or "default"]
    if PeriodicTask._meta.db_table not in connection.introspection.table_names():
        return  # a partial migrate that has not reached django_celery_beat yet
    for schedule in _schedules.values():
        if PeriodicTask.objects.filter(name=schedule.name).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=schedule.every_seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=schedule.name, task=schedule.task, interval=interval,
                                    queue=schedule.queue, description=schedule.description)


def connect() -> None:
    post_migrate.connect(ensure_periodic_tasks, dispatch_uid="aiops.ensure_periodic_tasks")


def registered() -> list[Schedule]:
    return list(_schedules.values())
