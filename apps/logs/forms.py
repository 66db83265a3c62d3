"""Portal forms: ad-hoc search, log sources (connection config write-only) and query templates.

A source's `config` holds credentials: the form never shows it (only the names of the stored keys),
an empty field keeps what is stored, and the URL is shown with its password redacted (submitting
the redacted URL unchanged keeps the stored one). A query template is rendered against a sample
alert when saved; one that does not render is a form error with the reason.
"""

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aiops.fields import SecretJSONInput
from aiops.redaction import redact_url

from . import querying
from .choices import SourceKind
from .models import LogQuery
from .services import ADHOC_MAX_LIMIT, ADHOC_MAX_MINUTES


class SearchForm(forms.Form):
    source = forms.ModelChoiceField(queryset=None, label=_("source"))
    query = forms.CharField(label=_("query"), max_length=2000, widget=forms.TextInput(attrs={"size": 80}))
    minutes = forms.IntegerField(label=_("last minutes"), min_value=1, max_value=ADHOC_MAX_MINUTES, initial=15)
    limit = forms.IntegerField(label=_("lines at most"), min_value=1, max_value=ADHOC_MAX_LIMIT, initial=200)

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources


def _teams(organization):
    from apps.tenancy.models import Team

    return Team.objects.filter(organization=organization).order_by("name")


def _json_object(text: str, *, strings_only: bool = False) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(_("Enter valid JSON: %(error)s"), params={"error": exc}) from exc
    if not isinstance(value, dict):
        raise forms.ValidationError(_("Enter a JSON object."))
    if strings_only and not all(isinstance(v, str) and v for v in value.values()):
        raise forms.ValidationError(_("Enter a JSON object of label → field name (non-empty strings)."))
    return value


class LogSourceForm(forms.Form):
    """Create or edit a log source; `cleaned_data` goes to `services.source_create/source_update`."""

    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=SourceKind.choices, initial=SourceKind.LOKI)
    url = forms.URLField(label=_("URL"), max_length=500, required=False, assume_scheme="https",
                         help_text=_("Base URL (Loki, Elasticsearch, Splunk management port); CloudWatch: empty. "
                                     "A stored password is shown as ***; leave it so to keep it."))
    team = forms.ModelChoiceField(label=_("team"), queryset=None, required=False,
                                  help_text=_("Empty: the whole organisation."))
    config = forms.CharField(
        label=_("connection config"), required=False,
        widget=SecretJSONInput(attrs={"rows": 4}),
        help_text=_('JSON with the connection details and credentials, e.g. {"token": "…"} (keys per kind in the '
                    "README). Write-only: never shown again; empty keeps the stored value."))
    field_mapping = forms.CharField(
        label=_("label → field mapping"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('Alert label → source field, e.g. {"instance": "host.name", "pod": "kubernetes.pod.name"}.'))
    enabled = forms.BooleanField(label=_("enabled"), required=False, initial=True)
    is_default = forms.BooleanField(label=_("default"), required=False,
                                    help_text=_("Queried for alerts of its team (or organisation) by default."))

    def __init__(self, *args, organization, instance=None, **kwargs):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name, "kind": instance.kind, "url": redact_url(instance.url),
                "team": instance.team_id, "enabled": instance.enabled, "is_default": instance.is_default,
                "field_mapping": json.dumps(instance.field_mapping or {}, indent=1) if instance.field_mapping else "",
            }
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = _teams(organization)
        # "unchanged" only means something when a config is stored (a new source has none to keep)
        self.fields["config"].widget.attrs["placeholder"] = (
            _("unchanged — type to replace") if instance is not None and instance.config else '{"token": "…"}')
        if instance is not None and instance.config:
            self.fields["config"].help_text = _("%(help)s Stored keys: %(keys)s.") % {
                "help": self.fields["config"].help_text, "keys": ", ".join(sorted(instance.config))}

    def clean_url(self):
        url = self.cleaned_data.get("url") or ""
        if self.instance is not None and url and url == redact_url(self.instance.url):
            return self.instance.url  # the redacted URL came back unchanged: keep the stored password
        return url

    def clean_config(self):
        text = (self.cleaned_data.get("config") or "").strip()
        return _json_object(text) if text else {}

    def clean_field_mapping(self):
        text = (self.cleaned_data.get("field_mapping") or "").strip()
        return _json_object(text, strings_only=True) if text else {}

    def clean(self):
        data = super().clean()
        if data.get("kind") and data["kind"] != SourceKind.CLOUDWATCH and not data.get("url"):
            self.add_error("url", _("This kind of source needs a URL."))
        return data


def sample_alert(organization=None):
    """An unsaved alert with the usual labels: what a template is tried against before it is saved."""
    from apps.alerts.models import Alert

    labels = {"alertname": "HighErrorRate", "instance": "web-1:9100", "job": "payment-api",
              "service": "payment-api", "pod": "payment-api-7d9f8-abcde", "namespace": "prod",
              "severity": "critical", "env": "prod"}
    return Alert(organization=organization, name="HighErrorRate", labels=labels, service="payment-api",
                 instance="web-1:9100", starts_at=timezone.now(),
                 annotations={"summary": "Error rate above 5%", "description": "5xx ratio is 7%"})


class LogQueryForm(forms.ModelForm):
    """A saved query template; it must render against a sample alert (the reason is the form error)."""

    class Meta:
        model = LogQuery
        fields = ["name", "source", "team", "alert_name", "query_template", "time_range_minutes", "error_words",
                  "description", "enabled"]
        widgets = {"query_template": forms.Textarea(attrs={"rows": 4, "cols": 80}),
                   "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, organization, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["source"].queryset = sources
        self.fields["team"].queryset = _teams(organization)

    def clean_time_range_minutes(self):
        value = self.cleaned_data.get("time_range_minutes")
        if value is not None and not 1 <= value <= 24 * 60:
            raise forms.ValidationError(_("Between 1 and 1440 minutes."))
        return value

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source is None or "query_template" in self.errors:
            return data
        trial = LogQuery(source=source, query_template=data.get("query_template") or "",
                         error_words=data.get("error_words") or "",
                         time_range_minutes=data.get("time_range_minutes") or 5)
        try:
            rendered = querying.render(source, sample_alert(self.organization), trial)
        except Exception as exc:  # any failure to render is the user's template, shown with its reason
            self.add_error("query_template", _("The template does not render against a sample alert: %(reason)s")
                           % {"reason": f"{type(exc).__name__}: {exc}"})
            return data
        if not rendered.text.strip():
            self.add_error("query_template", _("The template renders to an empty query for a sample alert."))
        else:
            self.rendered_sample = rendered.text
        return data
