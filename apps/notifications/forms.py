"""Admin and portal forms; validation delegates to the services so each rule exists once."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import NotificationChannel, NotificationRule
from .services.config import channel_config_clean, merged_config, rule_fields_clean

RULE_JSON_FIELDS = ("trigger_on", "severity_filter", "label_matchers", "services", "active_days")
# The rule's editable fields, grouped as the admin shows them; the API serializer uses the same list.
RULE_FIELDSETS = [
    (None, ["name", "description", "enabled", "priority", "stop_after_match", "team"]),
    (_("When"), ["trigger_on", "severity_filter", "alert_name_pattern", "alert_name_mode", "label_matchers",
                 "services", "teams", "active_days", "active_from", "active_to", "timezone"]),
    (_("Then"), ["channels", "grouping", "escalate", "escalation_policy"]),
    (_("Noise control"), ["rate_limit_count", "rate_limit_window_minutes"]),
]
RULE_FIELDS = [name for _title, names in RULE_FIELDSETS for name in names]


class NotificationChannelAdminForm(forms.ModelForm):
    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "config", "enabled", "team", "organization"]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind") or self.instance.kind
        given = cleaned.get("config") or None
        if self.instance.pk and kind == self.instance.kind:
            config = merged_config(self.instance.config, given)
        else:
            config = given or {}
        try:
            cleaned["config"] = channel_config_clean(kind=kind, config=config)
        except ValidationError as exc:
            self.add_error(
                "config",
                exc.message_dict.get("config", exc.messages) if hasattr(exc, "error_dict") else exc.messages,
            )
        return cleaned


class NotificationRuleAdminForm(forms.ModelForm):
    class Meta:
        model = NotificationRule
        fields = [*RULE_FIELDS, "organization"]

    def clean(self):
        cleaned = super().clean()
        data = {
            k: cleaned[k]
            for k in (
                *RULE_JSON_FIELDS,
                "alert_name_pattern",
                "alert_name_mode",
                "timezone",
                "rate_limit_window_minutes",
            )
            if k in cleaned
        }
        try:
            cleaned.update(rule_fields_clean(data))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned


class SnoozeAlertForm(forms.Form):
    """The portal's "snooze this pattern" button on an alert."""

    DURATIONS = [(60, _("1 hour")), (240, _("4 hours")), (1440, _("24 hours")), (10080, _("7 days"))]
    minutes = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=60, label=_("For"))
    reason = forms.CharField(max_length=500, required=False, label=_("Reason"))

    def until(self):
        return timezone.now() + timedelta(minutes=self.cleaned_data["minutes"])
