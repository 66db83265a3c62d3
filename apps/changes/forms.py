"""Forms and the input checks the admin, the portal and the API share (one rule, every front door)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ChangeStatus, ChangeType
from .models import SETTINGS_FIELDS, SOURCE_CONFIG_FIELDS, ChangeSource, CorrelationSettings

LOCAL = "%Y-%m-%dT%H:%M"


def service_map_errors(value) -> list[str]:
    if not isinstance(value, dict):
        return [str(_("Enter an object of sender name → service name."))]
    bad = [k for k, v in value.items() if not isinstance(v, str) or not v.strip() or len(v) > 255]
    return (
        [
            str(_("Each name must map to a service name (text, at most 255 characters): %(keys)s"))
            % {"keys": ", ".join(bad)}
        ]
        if bad
        else []
    )


def change_type_risk_errors(value) -> list[str]:
    if not isinstance(value, dict):
        return [str(_("Enter an object of change type → risk between 0 and 1."))]
    errors = []
    unknown = sorted(set(value) - set(ChangeType.values))
    if unknown:
        errors.append(
            str(_("Unknown change types: %(types)s (known: %(known)s)"))
            % {"types": ", ".join(unknown), "known": ", ".join(ChangeType.values)}
        )
    bad = [k for k, v in value.items() if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1]
    if bad:
        errors.append(str(_("Risks must be numbers between 0 and 1: %(types)s")) % {"types": ", ".join(bad)})
    return errors


class ChangeSourceAdminForm(forms.ModelForm):
    class Meta:
        model = ChangeSource
        fields = ["name", "kind", "enabled", *SOURCE_CONFIG_FIELDS]

    def clean_service_map(self):
        value = self.cleaned_data.get("service_map") or {}
        errors = service_map_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return value


class CorrelationSettingsForm(forms.ModelForm):
    class Meta:
        model = CorrelationSettings
        fields = ["organization", *SETTINGS_FIELDS]

    def clean_change_type_risk(self):
        value = self.cleaned_data.get("change_type_risk") or {}
        errors = change_type_risk_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return value


class ChangeEventForm(forms.Form):
    """Manual entry in the portal: an ad-hoc change nobody's pipeline reports."""

    event_type = forms.ChoiceField(label=_("Type"), choices=ChangeType.choices, initial=ChangeType.DEPLOYMENT)
    service = forms.CharField(label=_("Service"), max_length=255)
    environment = forms.CharField(label=_("Environment"), max_length=100, required=False)
    version = forms.CharField(label=_("Version"), max_length=255, required=False)
    previous_version = forms.CharField(label=_("Previous version"), max_length=255, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10_000
    )
    status = forms.ChoiceField(label=_("Status"), choices=ChangeStatus.choices, initial=ChangeStatus.COMPLETED)
    started_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        input_formats=[LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
        help_text=_("Empty means now."),
    )
    finished_at = forms.DateTimeField(
        label=_("Finished"),
        required=False,
        input_formats=[LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )
    url = forms.URLField(label=_("Link (ticket, pipeline run)"), required=False, max_length=2000, assume_scheme="https")

    def clean(self):
        data = super().clean()
        started, finished = data.get("started_at"), data.get("finished_at")
        if started and started > timezone.now() + timedelta(days=1):
            self.add_error("started_at", _("A change cannot be more than a day in the future."))
        if finished and finished < (started or timezone.now()):
            self.add_error("finished_at", _("The change cannot finish before it started."))
        return data
