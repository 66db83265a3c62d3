"""Write paths for change tracking: change webhooks (sources) and recording changes idempotently.

A change is upserted by (organisation, source, external id): the same webhook delivered twice
changes nothing, a deployment's later status (started → completed) updates its row, and a late
"started" never turns a completed change back. `change.recorded` is published after commit for
each new change and each status change; the correlation engine reacts to it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from aiops import events
from apps.alerts.ingest import token_hash

from .choices import ChangeOrigin, ChangeStatus, ChangeType
from .models import TEXT_FIELDS, ChangeEvent, ChangeSource
from .payloads import ChangeData
from .summary import change_summary


@transaction.atomic
def change_source_create(*, organization, name: str, created_by=None, **fields) -> ChangeSource:
    """Create a change webhook with a fresh secret URL token."""
    token = secrets.token_urlsafe(24)
    return ChangeSource.objects.create(
        organization=organization,
        name=name,
        created_by=created_by,
        token=token,
        token_hash=token_hash(token),
        **fields,
    )


@transaction.atomic
def change_source_rotate_token(*, source: ChangeSource) -> ChangeSource:
    """Issue a new URL token; the old URL stops working at once."""
    token = secrets.token_urlsafe(24)
    source.token = token
    source.token_hash = token_hash(token)
    source.save(update_fields=["token", "token_hash", "updated_at"])
    return source


@dataclass
class RecordResult:
    change: ChangeEvent
    created: bool
    changed: bool

    def as_dict(self) -> dict:
        outcome = "created" if self.created else ("updated" if self.changed else "unchanged")
        return {"change_id": self.change.pk, "result": outcome}


def _infer_previous_version(organization_id: int, data: ChangeData) -> str:
    """The version this deploy replaced: the last recorded version of the same service and environment."""
    if (
        data.previous_version
        or not data.version
        or not data.service
        or data.event_type not in (ChangeType.DEPLOYMENT, ChangeType.ROLLBACK)
    ):
        return data.previous_version
    last = (
        ChangeEvent.objects.filter(
            organization_id=organization_id,
            service=data.service,
            environment=data.environment,
            started_at__lt=data.started_at,
        )
        .exclude(version="")
        .exclude(version=data.version)
        .exclude(status=ChangeStatus.FAILED)
        .order_by("-started_at")
        .values_list("version", flat=True)
        .first()
    )
    return last or ""


def _merge(change: ChangeEvent, data: ChangeData) -> list[str]:
    """Apply a later report of the same change; return the names of the fields that changed."""
    updated: list[str] = []

    def put(name, value):
        if getattr(change, name) != value:
            setattr(change, name, value)
            updated.append(name)

    for name in TEXT_FIELDS:
        value = getattr(data, name)
        if value:
            put(name, value)
    final_now = change.status != ChangeStatus.STARTED
    if not (final_now and data.status == ChangeStatus.STARTED):  # out of order: never regress a finished change
        put("status", data.status)
    if data.started_at and data.started_at < change.started_at:
        put("started_at", data.started_at)
    if data.finished_at and change.status != ChangeStatus.STARTED:
        put("finished_at", data.finished_at)
    if change.finished_at:
        put("duration_seconds", max(round((change.finished_at - change.started_at).total_seconds()), 0))
    elif data.duration_seconds is not None:
        put("duration_seconds", data.duration_seconds)
    metadata = {**(change.metadata or {}), **data.metadata}
    put("metadata", metadata)
    return updated


@transaction.atomic
def change_record(
    *, organization, data: ChangeData, change_source: ChangeSource | None = None, created_by=None
) -> RecordResult:
    """Record one change (create or update by external id) and publish `change.recorded`."""
    org_id = getattr(organization, "pk", organization)
    external_id = data.external_id or data.fingerprint()
    lookup = {"organization_id": org_id, "source": data.source, "external_id": external_id}
    change = ChangeEvent.objects.select_for_update().filter(**lookup).first()
    if change is None:
        data.previous_version = _infer_previous_version(org_id, data)
        fields = {k: v for k, v in data.as_dict().items() if k not in ("external_id", "source")}
        try:
            with transaction.atomic():  # a savepoint: a concurrent delivery of the same change may win
                change = ChangeEvent.objects.create(
                    change_source=change_source, created_by=created_by, **lookup, **fields
                )
        except IntegrityError:
            change = ChangeEvent.objects.select_for_update().get(**lookup)
        else:
            _after_record(change, change_source, is_new=True)
            return RecordResult(change, created=True, changed=True)
    updated = _merge(change, data)
    if change_source is not None and change.change_source_id is None:
        change.change_source = change_source
        updated.append("change_source")
    if updated:
        change.save(update_fields=[*updated, "updated_at"])
        _after_record(change, change_source, is_new=False)
    elif change_source is not None:
        ChangeSource.objects.filter(pk=change_source.pk).update(last_received_at=timezone.now())
    return RecordResult(change, created=False, changed=bool(updated))


def _after_record(change: ChangeEvent, change_source: ChangeSource | None, *, is_new: bool) -> None:
    if change_source is not None:
        ChangeSource.objects.filter(pk=change_source.pk).update(last_received_at=timezone.now())
    events.publish(
        "change.recorded",
        org=change.organization_id,
        subject=change,
        actor=change.created_by_id,
        is_new=is_new,
        **change_summary(change),
    )


def change_create(
    *,
    organization,
    user,
    service: str = "",
    event_type: str = ChangeType.DEPLOYMENT,
    started_at: datetime | None = None,
    **fields,
) -> RecordResult:
    """A change entered by a person (portal form or admin): source "manual", the person as author."""
    data = ChangeData(
        service=service,
        event_type=event_type,
        source=ChangeOrigin.MANUAL,
        started_at=started_at or timezone.now(),
        **fields,
    )
    if not data.author and user is not None:
        data.author = user.get_full_name() or user.get_username()
    if data.finished_at and data.duration_seconds is None:
        data.duration_seconds = max(round((data.finished_at - data.started_at).total_seconds()), 0)
    return change_record(organization=organization, data=data, created_by=user)


@transaction.atomic
def change_update(*, change: ChangeEvent, user=None, **fields) -> ChangeEvent:
    """Correct a recorded change (admins); correlations are scored again through `change.recorded`."""
    updated = [name for name, value in fields.items() if getattr(change, name) != value]
    for name in updated:
        setattr(change, name, fields[name])
    if ("finished_at" in updated or "started_at" in updated) and change.finished_at:
        change.duration_seconds = max(round((change.finished_at - change.started_at).total_seconds()), 0)
        updated.append("duration_seconds")
    if updated:
        change.save(update_fields=[*dict.fromkeys(updated), "updated_at"])
        events.publish(
            "change.recorded",
            org=change.organization_id,
            subject=change,
            actor=user,
            is_new=False,
            **change_summary(change),
        )
    return change
