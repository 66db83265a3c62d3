"""The SLA app's write paths (the only place its rules live); each re-exported from its module.

- definitions: `sla_definition_validate` (shared by API, admin and forms);
- clocks: `events_record`, `clocks_recompute` (clocks.py), `item_pause` / `item_resume` here;
- timers: `timers_fire` (timers.py); breaches: `breach_set_reason` (breaches.py);
- reports: `report_generate`, `reports_monthly`, `report_announce` (reports.py).
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aiops import events

from .breaches import BreachReasonError, breach_set_reason  # noqa: F401
from .choices import PauseReason, SubjectKind
from .clocks import clocks_recompute, events_record  # noqa: F401
from .models import SLAClock
from .reports import report_announce, report_generate, reports_monthly  # noqa: F401
from .timers import timers_fire  # noqa: F401

SEVERITIES = ("critical", "warning", "info")


def sla_definition_validate(data: dict) -> dict:
    """Check a definition's fields beyond their types; raises ValidationError naming the field."""
    errors: dict[str, str] = {}
    if not data.get("target_mtta_minutes") and not data.get("target_mttr_minutes") and \
            data.get("target_availability") is None and data.get("target_success_rate") is None:
        errors["target_mtta_minutes"] = _("Set at least one target.")
    for name in ("target_mtta_minutes", "target_mttr_minutes"):
        if data.get(name) is not None and data[name] <= 0:
            errors[name] = _("A target time must be positive.")
    for name in ("target_availability", "target_success_rate", "warning_threshold_percent"):
        if data.get(name) is not None and not 0 < data[name] <= 100:
            errors[name] = _("A percentage between 0 and 100.")
    if not all(s in SEVERITIES for s in data.get("applies_to_severity") or []):
        errors["applies_to_severity"] = _("Severities are critical, warning and info.")
    if not all(isinstance(s, str) and s.strip() for s in data.get("applies_to_services") or []):
        errors["applies_to_services"] = _("A list of service globs.")
    matchers = data.get("label_matchers") or {}
    if not isinstance(matchers, dict) or not all(isinstance(v, str) for v in matchers.values()):
        errors["label_matchers"] = _('An object of label → glob, e.g. {"env": "prod*"}.')
    if not all(isinstance(c, str) and c.strip() for c in data.get("breach_notify_channels") or []):
        errors["breach_notify_channels"] = _("A list of channel names or channel types.")
    try:
        ZoneInfo(data.get("time_zone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Unknown time zone.")
    if not all(isinstance(d, int) and 0 <= d <= 6 for d in data.get("work_days") or []):
        errors["work_days"] = _("Days are 0 (Monday) to 6 (Sunday).")
    try:
        [date.fromisoformat(str(h)) for h in data.get("holidays") or []]
    except ValueError:
        errors["holidays"] = _("Holidays are ISO dates, e.g. 2026-12-25.")
    if data.get("calendar") == "business" and data.get("work_start") and data.get("work_end") and \
            data["work_end"] <= data["work_start"]:
        errors["work_end"] = _("Working hours must end after they start.")
    if errors:
        raise ValidationError(errors)
    return data


MANUAL_PAUSES = (PauseReason.MAINTENANCE, PauseReason.THIRD_PARTY)


@transaction.atomic
def item_pause(*, organization_id: int, subject_kind: str, subject_id: int, reason: str, user=None,
               until: datetime | None = None) -> dict:
    """Pause an item's clocks (in maintenance / waiting on a third party), as a timeline event.

    The clocks follow when the SLA subscriber records the event, like every other fact about the
    item, so a recompute after an outage sees the same pause.
    """
    _check_item(organization_id, subject_kind, subject_id, reason)
    if until is not None and until <= timezone.now():
        raise ValidationError({"until": _("The pause must end in the future.")})
    return events.publish("sla.paused", org=organization_id, actor=user, **_pause_data(
        organization_id, subject_kind, subject_id, reason, until=until.isoformat() if until else None))


@transaction.atomic
def item_resume(*, organization_id: int, subject_kind: str, subject_id: int, reason: str, user=None) -> dict:
    _check_item(organization_id, subject_kind, subject_id, reason)
    return events.publish("sla.resumed", org=organization_id, actor=user,
                          **_pause_data(organization_id, subject_kind, subject_id, reason))


def _check_item(organization_id, subject_kind, subject_id, reason) -> None:
    if subject_kind not in SubjectKind.values:
        raise ValidationError({"subject_kind": _("alert or incident")})
    if reason not in MANUAL_PAUSES:
        raise ValidationError({"reason": _("maintenance or third_party")})
    if not SLAClock.objects.filter(organization_id=organization_id, subject_kind=subject_kind,
                                   subject_id=subject_id).exists():
        raise ValidationError({"subject_id": _("No SLA clock runs for this item.")})


def _pause_data(organization_id, subject_kind, subject_id, reason, **extra) -> dict:
    clock = SLAClock.objects.filter(organization_id=organization_id, subject_kind=subject_kind,
                                    subject_id=subject_id).first()
    return {"subject_kind": subject_kind, "subject_id": subject_id, "reason": reason, "title": clock.title,
            "url": clock.url, "team_id": clock.team_id,
            "alert_id": subject_id if subject_kind == SubjectKind.ALERT else None,
            "incident_id": subject_id if subject_kind == SubjectKind.INCIDENT else None, **extra}
