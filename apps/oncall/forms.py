"""Portal forms: people by username, times in the schedule's zone; the rules are in services."""
from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .choices import ContactKind, Weekday
from .models import Layer, Schedule


def members(organization):
    return get_user_model().objects.filter(memberships__organization=organization).order_by("username").distinct()


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = ["name", "description", "team", "time_zone", "lead", "announce_shift_changes"]

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        from apps.tenancy.models import Team

        self.fields["team"].queryset = Team.objects.filter(organization=organization)
        self.fields["lead"].queryset = members(organization)


class LayerForm(forms.ModelForm):
    """A rotation: who in which order, how long a shift is, when hands change, when it applies."""

    people = forms.CharField(
        label=_("Participants, in order"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
        help_text=_("One username per line; the first takes the first shift."))
    restriction_weekdays = forms.TypedMultipleChoiceField(
        label=_("Only on"), choices=Weekday.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Leave empty for every day."))

    class Meta:
        model = Layer
        fields = ["name", "position", "shift_unit", "shift_length", "start_date", "handoff_time",
                  "handoff_weekday", "end_date", "restriction_weekdays", "restriction_start", "restriction_end"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "handoff_time": forms.TimeInput(attrs={"type": "time"}),
            "restriction_start": forms.TimeInput(attrs={"type": "time"}),
            "restriction_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        if self.instance.pk:
            names = dict(members(organization).values_list("pk", "username"))
            self.initial["people"] = "\n".join(names.get(int(p), str(p)) for p in self.instance.participants)

    def clean_people(self):
        wanted = [line.strip() for line in self.cleaned_data["people"].splitlines() if line.strip()]
        ids = dict(members(self.organization).filter(username__in=wanted).values_list("username", "pk"))
        unknown = [name for name in wanted if name not in ids]
        if unknown:
            raise forms.ValidationError(
                _("Not members of this organisation: %(names)s") % {"names": ", ".join(unknown)})
        return [ids[name] for name in wanted]

    def clean(self):
        cleaned = super().clean()
        if "people" in cleaned:
            self.instance.participants = cleaned["people"]
        return cleaned


class OverrideForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Who"), queryset=None)
    start = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label=_("Why"), max_length=300, required=False)

    def __init__(self, *args, organization, tz, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.fields["user"].queryset = members(organization)
        self.fields["start"].help_text = self.fields["end"].help_text = _("In the schedule's time zone (%(tz)s).") % {
            "tz": tz.key}

    def _local(self, value: datetime) -> datetime:
        return value.replace(tzinfo=None).replace(tzinfo=self.tz) if value else value

    def clean(self):
        cleaned = super().clean()
        for key in ("start", "end"):
            if cleaned.get(key):
                cleaned[key] = self._local(cleaned[key])
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(label=_("iCalendar file (.ics)"))
    as_layer = forms.BooleanField(
        label=_("Import as a new layer"), required=False,
        help_text=_("Unticked, each event becomes an override (above every layer)."))
    layer_name = forms.CharField(label=_("Layer name"), max_length=200, required=False)


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(label=_("How"), choices=ContactKind.choices)
    target = forms.CharField(label=_("Address, Slack member ID, URL or PagerDuty routing key"), max_length=500,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("Stored encrypted and never shown again."))
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
    critical_only = forms.BooleanField(label=_("Critical alerts only"), required=False)
