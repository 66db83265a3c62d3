"""Write paths for what ops staff configure: channels, rules, escalation policies, snoozes.

The API, the admin and the portal all call these, so a rule (what a valid matcher is, that an
organisation has one default policy) exists once. Validation errors are Django ValidationErrors
keyed by field; the API turns them into 400 bodies.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import SEVERITIES, WEEKDAYS, ChannelKind, DeliveryKind, MatchOp, PatternMode, Trigger
from ..models import EscalationLevel, EscalationPolicy, NotificationChannel, NotificationRule, Snooze
from ..providers import get_provider
from .outbox import EventRef, queue_delivery

# --- channels -------------------------------------------------------------------------------


def channel_config_clean(*, kind: str, config) -> dict:
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": _("Unknown channel type.")})
    if not isinstance(config, dict):
        raise ValidationError({"config": _("Give the configuration as a JSON object.")})
    try:
        return get_provider(kind).validate_config(dict(config))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            messages = [f"{key}: {msg}" for key, msgs in exc.message_dict.items() for msg in msgs]
        else:
            messages = exc.messages
        raise ValidationError({"config": messages}) from exc


@transaction.atomic
def channel_create(
    *, organization, name: str, kind: str, config: dict, created_by=None, team=None, enabled: bool = True
) -> NotificationChannel:
    config = channel_config_clean(kind=kind, config=config)
    return NotificationChannel.objects.create(
        organization=organization,
        team=team,
        name=name,
        kind=kind,
        config=config,
        enabled=enabled,
        created_by=created_by,
    )


def merged_config(old: dict, new: dict | None) -> dict:
    """Secrets are write-only, so an update merges keys: send only what changes, null removes a key."""
    if not new:
        return dict(old)
    merged = {**old, **new}
    return {k: v for k, v in merged.items() if v is not None}


@transaction.atomic
def channel_update(
    *, channel: NotificationChannel, config: dict | None = None, **fields
) -> NotificationChannel:
    kind = fields.get("kind", channel.kind)
    # A new type needs a whole new configuration; otherwise keys merge into the stored one.
    new_config = config if kind != channel.kind else merged_config(channel.config, config)
    if config is not None or kind != channel.kind:
        channel.config = channel_config_clean(kind=kind, config=new_config or {})
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.save()
    return channel


def channel_send_test(*, channel: NotificationChannel, user) -> object:
    """Send one test message now (one attempt, no retries) and return its log row."""
    from .dispatch import delivery_send

    now = timezone.now()
    who = (user.get_full_name() or user.get_username()) if user else "system"
    with transaction.atomic():
        delivery = queue_delivery(
            organization_id=channel.organization_id,
            event=EventRef(id="", name="notification.test", occurred_at=now.isoformat()),
            kind=DeliveryKind.TEST,
            now=now,
            channel=channel,
            data={"channel": channel.name, "by": who},
            title=_("Test notification"),
        )
    delivery_send(delivery_id=delivery.pk, now=now)
    delivery.refresh_from_db()
    NotificationChannel.objects.filter(pk=channel.pk).update(
        last_test_at=now, last_test_status=delivery.status
    )
    return delivery


# --- rules ----------------------------------------------------------------------------------


def _regex_error(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return _("Invalid regular expression: %(error)s") % {"error": exc}
    return None


def matchers_clean(matchers) -> list[dict]:
    if not isinstance(matchers, list):
        raise ValidationError(_("Give a list of matchers."))
    cleaned = []
    for i, m in enumerate(matchers):
        if not isinstance(m, dict) or not m.get("label") or m.get("op", MatchOp.EQUALS) not in MatchOp.values:
            raise ValidationError(
                _("Matcher %(n)d needs a label and an op among %(ops)s.")
                % {"n": i + 1, "ops": ", ".join(MatchOp.values)}
            )
        op = m.get("op", MatchOp.EQUALS)
        value = str(m.get("value", ""))
        if op in (MatchOp.REGEX, MatchOp.NOT_REGEX) and (error := _regex_error(value)):
            raise ValidationError(_("Matcher %(n)d: %(error)s") % {"n": i + 1, "error": error})
        cleaned.append({"label": str(m["label"]), "op": op, "value": value})
    return cleaned


def _string_list(value, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({field: _("Give a list of strings.")})
    return [v.strip() for v in value if v.strip()]


def rule_fields_clean(data: dict) -> dict:
    """Validate the JSON-shaped rule fields (shared by API, admin and tests)."""
    errors, out = {}, dict(data)
    if "trigger_on" in data:
        triggers = data["trigger_on"]
        if not isinstance(triggers, list) or not triggers or set(triggers) - set(Trigger.values):
            errors["trigger_on"] = _("Choose one or more of: %(v)s.") % {"v": ", ".join(Trigger.values)}
    if "severity_filter" in data and (
        not isinstance(data["severity_filter"], list) or set(data["severity_filter"]) - set(SEVERITIES)
    ):
        errors["severity_filter"] = _("Choose among critical, warning, info.")
    regex = data.get("alert_name_mode") == PatternMode.REGEX and data.get("alert_name_pattern")
    if regex and (error := _regex_error(data["alert_name_pattern"])):
        errors["alert_name_pattern"] = error
    for key in ("label_matchers",):
        if key in data:
            try:
                out[key] = matchers_clean(data[key] or [])
            except ValidationError as exc:
                errors[key] = exc.messages
    if "services" in data:
        try:
            out["services"] = _string_list(data["services"] or [], "services")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "active_days" in data and (
        not isinstance(data["active_days"], list) or any(d not in WEEKDAYS for d in data["active_days"])
    ):
        errors["active_days"] = _("Give weekdays as numbers, 0 = Monday … 6 = Sunday.")
    if data.get("timezone"):
        try:
            ZoneInfo(data["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = _("Unknown time zone.")
    if data.get("rate_limit_window_minutes") == 0:
        errors["rate_limit_window_minutes"] = _("The window must be at least one minute.")
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def rule_create(
    *, organization, name: str, channels=(), teams=(), created_by=None, **fields
) -> NotificationRule:
    fields = rule_fields_clean(fields)
    rule = NotificationRule.objects.create(
        organization=organization, name=name, created_by=created_by, **fields
    )
    rule.channels.set(channels)
    rule.teams.set(teams)
    return rule


@transaction.atomic
def rule_update(*, rule: NotificationRule, channels=None, teams=None, **fields) -> NotificationRule:
    fields = rule_fields_clean(fields)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save()
    if channels is not None:
        rule.channels.set(channels)
    if teams is not None:
        rule.teams.set(teams)
    return rule


# --- escalation policies --------------------------------------------------------------------


def levels_clean(levels: list[dict], organization=None) -> list[dict]:
    """Delays in order, each level notifies someone; a named person must belong to the organisation
    and a level pages one person (a schedule's or a named one), not both."""
    if not levels:
        raise ValidationError({"levels": _("A policy needs at least one level.")})
    previous = -1
    for i, level in enumerate(levels, start=1):
        delay = int(level.get("delay_minutes", 0))
        if delay < previous:
            raise ValidationError({"levels": _("Level %(n)d starts before the level above it.") % {"n": i}})
        user = level.get("oncall_user")
        if not level.get("channels") and not level.get("oncall_schedule") and not user:
            # a person's own methods suffice
            raise ValidationError({"levels": _("Level %(n)d has no channel and pages nobody.") % {"n": i}})
        if user and level.get("oncall_schedule"):
            raise ValidationError({"levels": _(
                "Level %(n)d names a person and a schedule: page one of them per level.") % {"n": i}})
        if user and organization is not None and not _is_member(organization, user):
            raise ValidationError({"levels": _(
                "Level %(n)d names a person who is not a member of this organisation.") % {"n": i}})
        previous = delay
    return levels


def _is_member(organization, user) -> bool:
    from apps.tenancy.models import Membership

    return Membership.objects.filter(organization_id=getattr(organization, "pk", organization),
                                     user_id=getattr(user, "pk", user)).exists()


@transaction.atomic
def escalation_policy_save(
    *, organization, name: str, levels: list[dict] | None, policy=None, created_by=None, **fields
) -> EscalationPolicy:
    """Create or update a policy; `levels` (if given) replaces its levels in order.

    Running escalations keep the snapshot they started with, so replacing levels is safe.
    """
    if fields.get("is_default"):
        EscalationPolicy.objects.filter(organization=organization, is_default=True).exclude(
            pk=getattr(policy, "pk", None)
        ).update(is_default=False)
    if policy is None:
        policy = EscalationPolicy.objects.create(
            organization=organization, name=name, created_by=created_by, **fields
        )
    else:
        policy.name = name
        for key, value in fields.items():
            setattr(policy, key, value)
        policy.save()
    if levels is not None:
        levels_clean(levels, organization)
        policy.levels.all().delete()
        for position, level in enumerate(levels, start=1):
            row = EscalationLevel.objects.create(
                organization=organization,
                policy=policy,
                position=position,
                delay_minutes=int(level.get("delay_minutes", 0)),
                repeat_count=int(level.get("repeat_count", 0)),
                repeat_interval_minutes=int(level.get("repeat_interval_minutes", 5) or 5),
                oncall_schedule=level.get("oncall_schedule"),
                oncall_target=level.get("oncall_target") or "primary",
                oncall_user_id=getattr(level.get("oncall_user"), "pk", level.get("oncall_user")),
            )
            row.channels.set(level["channels"])
    return policy


@transaction.atomic
def escalation_policy_make_default(*, policy: EscalationPolicy) -> EscalationPolicy:
    EscalationPolicy.objects.filter(organization_id=policy.organization_id, is_default=True).exclude(
        pk=policy.pk
    ).update(is_default=False)
    EscalationPolicy.objects.filter(pk=policy.pk).update(is_default=True)
    policy.is_default = True
    return policy


# --- snoozes --------------------------------------------------------------------------------


@transaction.atomic
def snooze_create(
    *,
    organization,
    until: datetime,
    created_by=None,
    alert_name_pattern: str = "",
    label_matchers=None,
    services=None,
    rule=None,
    reason: str = "",
    team=None,
    starts_at: datetime | None = None,
) -> Snooze:
    """Hold back a pattern's notifications until `until` (they are logged as suppressed)."""
    now = timezone.now()
    starts_at = starts_at or now
    errors = {}
    if until <= max(now, starts_at):
        errors["until"] = _("The snooze must end in the future.")
    matchers = matchers_clean(label_matchers or [])
    services = _string_list(services or [], "services")
    if not (alert_name_pattern or matchers or services or rule):
        errors["alert_name_pattern"] = _(
            "Say what to snooze: an alert name pattern, labels, services or a rule."
        )
    if errors:
        raise ValidationError(errors)
    return Snooze.objects.create(
        organization=organization,
        team=team,
        created_by=created_by,
        rule=rule,
        alert_name_pattern=alert_name_pattern,
        label_matchers=matchers,
        services=services,
        starts_at=starts_at,
        until=until,
        reason=reason,
    )


@transaction.atomic
def snooze_end(*, snooze: Snooze) -> Snooze:
    now = timezone.now()
    if snooze.until > now:
        snooze.until = max(now, snooze.starts_at)
        snooze.save(update_fields=["until", "updated_at"])
    return snooze
