"""Input parsing shared by the portal, the admin and the API: silence durations, assignees, integrations.

The API serializers call the same functions, so "2h" or an inconsistent auth setup means the same
thing (and fails the same way) through every front door.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aiops.conf import setting

from .choices import AuthType, Severity
from .filtersets import LABEL_NAME
from .models import Integration

_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def silence_max_days() -> int:
    return setting("ALERTS_SILENCE_MAX_DAYS", 30)


def parse_duration(text: str) -> timedelta:
    """Parse "90s", "15m", "2h", "1d", "1w" or combinations like "1h30m" (Alertmanager's style)."""
    compact = re.sub(r"\s+", "", str(text or ""))
    if not compact or _DURATION_PART.sub("", compact):
        raise ValueError(_("Use a duration like 30m, 2h, 1d or 1h30m."))
    total = timedelta()
    for amount, unit in _DURATION_PART.findall(compact):
        total += timedelta(**{_UNITS[unit.lower()]: int(amount)})
    if total <= timedelta():
        raise ValueError(_("The duration must be longer than zero."))
    return total


def silence_until(*, until=None, duration: str | None = None):
    """The end of a silence from either an absolute time or a duration, bounded by the maximum."""
    if until is None and duration:
        until = timezone.now() + parse_duration(duration)
    if until is not None and until <= timezone.now():
        raise ValueError(_("The silence must end in the future."))
    if until is not None and until > timezone.now() + timedelta(days=silence_max_days()):
        raise ValueError(_("A silence may last at most %(days)d days.") % {"days": silence_max_days()})
    return until


def integration_config_errors(
    *,
    auth_type: str,
    auth_username: str,
    secret_given: bool,
    secret_stored: bool,
    severity_mapping=None,
    label_fields: dict | None = None,
) -> dict:
    """Field errors of an integration's configuration, or {} when it is consistent."""
    errors: dict[str, list[str]] = {}
    has_secret = secret_given or secret_stored
    if auth_type in (AuthType.BEARER, AuthType.BASIC) and not has_secret:
        errors["auth_secret"] = [str(_("Set the bearer token or password for this authentication type."))]
    if auth_type == AuthType.BASIC and not (auth_username or "").strip():
        errors["auth_username"] = [str(_("Basic authentication needs a username."))]
    if severity_mapping is not None:
        if not isinstance(severity_mapping, dict):
            errors["severity_mapping"] = [str(_("Give an object mapping label values to a severity."))]
        else:
            bad = sorted(str(k) for k, v in severity_mapping.items() if v not in Severity.values)
            if bad:
                errors["severity_mapping"] = [
                    str(_("Map to critical, warning or info; wrong for: %(keys)s")) % {"keys": ", ".join(bad)}
                ]
    for name, value in (label_fields or {}).items():
        keys = Integration.keys(value or "")
        if not keys or any(not LABEL_NAME.match(k) for k in keys):
            errors[name] = [str(_("Give comma-separated Prometheus label names."))]
    return errors


LABEL_KEY_FIELDS = ("service_labels", "instance_labels", "environment_labels", "team_labels")
# What an admin configures on an integration (the token and bookkeeping are the server's).
INTEGRATION_FIELDS = [
    "name",
    "kind",
    "enabled",
    "team",
    "auth_type",
    "auth_username",
    "auth_secret",
    *LABEL_KEY_FIELDS,
] + ["severity_label", "severity_mapping", "default_severity", "field_mapping", "rate_limit_per_minute"]


class IntegrationAdminForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = [*INTEGRATION_FIELDS, "organization"]

    def clean(self):
        data = super().clean()
        instance = self.instance
        errors = integration_config_errors(
            auth_type=data.get("auth_type", AuthType.NONE),
            auth_username=data.get("auth_username", ""),
            secret_given=bool(data.get("auth_secret")),
            secret_stored=bool(instance.pk and instance.auth_secret),
            severity_mapping=data.get("severity_mapping"),
            label_fields={k: data.get(k) for k in LABEL_KEY_FIELDS if k in self.fields},
        )
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)
        return data


SILENCE_PRESETS = [
    ("1h", _("1 hour")),
    ("4h", _("4 hours")),
    ("12h", _("12 hours")),
    ("1d", _("1 day")),
    ("1w", _("1 week")),
]


class SilenceForm(forms.Form):
    """Silence for a preset or typed duration, or until a time; `lift` ends an active silence."""

    duration = forms.CharField(
        label=_("For"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"list": "silence-presets", "size": 6}),
    )
    until = forms.DateTimeField(
        label=_("Until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    lift = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("lift"):
            data["silenced_until"] = None
            return data
        if not data.get("duration") and not data.get("until"):
            raise forms.ValidationError(_("Give a duration or an end time."))
        try:
            data["silenced_until"] = silence_until(until=data.get("until"), duration=data.get("duration"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Assign to"), empty_label=_("— nobody —")
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members
