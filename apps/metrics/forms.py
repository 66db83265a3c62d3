import json

from django import forms
from django.utils.translation import gettext_lazy as _

from aiops.fields import SecretJSONInput

from .models import MetricSource


class MetricSourceForm(forms.ModelForm):
    url = forms.URLField(label=_("base URL"), max_length=500, assume_scheme="https",
                         help_text=_("The API root, e.g. http://prometheus:9090 or https://mimir.example/prometheus."))
    headers = forms.CharField(
        label=_("extra headers"), required=False,
        widget=SecretJSONInput(attrs={"rows": 3, "placeholder": _("unchanged — type to replace")}),
        help_text=_('JSON, e.g. {"X-Scope-OrgID": "tenant-1"}. Write-only; empty keeps the stored value.'))
    class Meta:
        model = MetricSource
        fields = ["name", "kind", "url", "enabled", "auth_type", "username", "secret", "headers",
                  "timeout_seconds", "max_concurrency"]

    def clean_headers(self):
        text = (self.cleaned_data.get("headers") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Enter valid JSON: %(error)s"), params={"error": exc}) from exc
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError(_("Enter a JSON object of header name → string value."))
        return value
