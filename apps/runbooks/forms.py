"""Portal forms: the run form is built from the runbook's definition (one field per input value)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.parameters import input_names

PARAM_PREFIX = "param_"


class RunForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("SSH target"),
        empty_label=_("from the alert label or the runbook"),
    )
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Why"),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. customer impact since 14:02")}),
    )

    def __init__(self, *args, definition: dict, targets, alert=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = targets
        labels = dict(getattr(alert, "labels", None) or {})
        annotations = dict(getattr(alert, "annotations", None) or {})
        declared = {p["name"]: p for p in definition.get("parameters", [])}
        self.param_names = input_names(definition)
        for name in self.param_names:
            param = declared.get(name, {})
            key = param.get("key") or name
            initial = labels.get(key) or annotations.get(key) or param.get("default", "")
            field = forms.CharField(
                required=False, label=name, initial=initial, help_text=param.get("description", "")
            )
            if param.get("choices"):
                field = forms.ChoiceField(
                    required=False,
                    label=name,
                    initial=initial,
                    choices=[("", "—")] + [(c, c) for c in param["choices"]],
                )
            self.fields[PARAM_PREFIX + name] = field
        # Parameters first, then target and reason.
        self.order_fields([PARAM_PREFIX + n for n in self.param_names] + ["target", "reason"])

    def parameters(self) -> dict:
        return {
            name: self.cleaned_data.get(PARAM_PREFIX + name)
            for name in self.param_names
            if self.cleaned_data.get(PARAM_PREFIX + name)
        }


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, label=_("Note"))
