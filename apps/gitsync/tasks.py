"""Celery tasks: sync one repository (thin: call the sync), and beat's tick that finds what is due.

A sync request is a row field (`sync_requested_at`) before it is a message, so a message lost
between the webhook and a worker delays the sync until the next tick; it never loses it.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import conf
from .choices import Trigger
from .models import Repository
from .sync import Locked, repository_sync

logger = logging.getLogger(__name__)


def enqueue_sync(repository_id: int, trigger: str, user_id: int | None = None) -> None:
    """Queue a sync once the caller's transaction commits."""
    transaction.on_commit(lambda: sync_repository.apply_async((repository_id, trigger, user_id), queue="default"))


@shared_task(name="gitsync.sync_repository", ignore_result=True, acks_late=True)
def sync_repository(repository_id: int, trigger: str = Trigger.MANUAL, user_id: int | None = None) -> str | None:
    """Sync one repository; a sync already running for it makes this a no-op (it re-checks after)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if not Repository.objects.filter(pk=repository_id).exists():
        return None
    try:
        run = repository_sync(repository_id=repository_id, trigger=trigger, user=user)
    except Locked:
        return "locked"  # the request stays on the row; the tick after the running sync picks it up
    return run.status


@shared_task(name="gitsync.tick", ignore_result=True)
def tick() -> int:
    """Beat: queue a sync for every enabled repository that is due or was asked for and is not locked."""
    now = timezone.now()
    due = (
        Repository.objects.filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .filter(Q(sync_requested_at__isnull=False) | Q(enabled=True, next_sync_at__lte=now)
                | Q(enabled=True, next_sync_at__isnull=True))
        .values_list("pk", "sync_requested_trigger", "sync_requested_at")
    )
    count = 0
    for pk, requested, requested_at in due:
        trigger = (requested or Trigger.MANUAL) if requested_at else Trigger.SCHEDULE
        if requested_at is None:
            # Claim the slot so the next tick does not queue the same scheduled sync again.
            claimed = Repository.objects.filter(pk=pk).filter(
                Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now)
            ).update(next_sync_at=now + timedelta(seconds=conf.lock_seconds()))
            if not claimed:
                continue
        sync_repository.apply_async((pk, trigger, None), queue="default")
        count += 1
    return count
