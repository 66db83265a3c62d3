"""Portal forms. They only parse; the rules are in services.py (their errors come back onto the form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import FeedbackType, Section
from .models import SuccessfulRemediation

ACCURACY_CHOICES = [("", _("no opinion")), ("yes", _("accurate")), ("no", _("inaccurate"))]


class VerdictForm(forms.Form):
    """A verdict: every field optional, so one click (👍 or ★★★★) posts only what it changes."""

    feedback_type = forms.ChoiceField(label=_("Verdict"), choices=[("", "—"), *FeedbackType.choices], required=False)
    rating = forms.IntegerField(label=_("Stars"), min_value=1, max_value=5, required=False)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    correct_action = forms.CharField(
        label=_("What actually fixed it"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def changes(self) -> dict:
        """Only the fields the request carried (absent fields keep their stored value)."""
        return {
            name: self.cleaned_data[name] or ("" if name in ("comment", "correct_action") else None)
            for name in self.fields
            if name in self.data
        }


class AnalysisFeedbackForm(VerdictForm):
    """The full form under an analysis: the verdict plus accuracy and a correction per section."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in Section:
            self.fields[f"{section.value}_accurate"] = forms.ChoiceField(
                label=section.label, choices=ACCURACY_CHOICES, required=False
            )
            self.fields[f"{section.value}_correction"] = forms.CharField(
                label=_("Correction"), widget=forms.Textarea(attrs={"rows": 2}), required=False
            )

    def changes(self) -> dict:
        return {k: v for k, v in super().changes().items() if "_accurate" not in k and "_correction" not in k}

    def sections(self) -> list[dict]:
        out = []
        for section in Section:
            verdict = self.cleaned_data.get(f"{section.value}_accurate")
            if verdict:
                out.append(
                    {
                        "section": section.value,
                        "is_accurate": verdict == "yes",
                        "correction": self.cleaned_data.get(f"{section.value}_correction", ""),
                    }
                )
        return out


class MarkFixForm(forms.Form):
    solution_summary = forms.CharField(label=_("What fixed it"), widget=forms.Textarea(attrs={"rows": 2}))
    manual_steps = forms.CharField(label=_("Manual steps"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    runbook = forms.ModelChoiceField(label=_("Runbook"), queryset=None, required=False)
    problem_summary = forms.CharField(label=_("Problem"), required=False)

    def __init__(self, *args, runbooks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["runbook"].queryset = runbooks


class RemediationForm(forms.ModelForm):
    """Create or curate a library entry; labels are typed one `key=value` per line."""

    labels_text = forms.CharField(
        label=_("Key labels"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One key=value per line, e.g. service=orders-api"),
    )

    class Meta:
        model = SuccessfulRemediation
        fields = [
            "alert_pattern",
            "service",
            "problem_summary",
            "solution_summary",
            "runbook",
            "manual_steps",
            "is_active",
        ]

    def __init__(self, *args, runbooks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["runbook"].queryset = runbooks
        if self.instance.pk:
            self.fields["labels_text"].initial = "\n".join(f"{k}={v}" for k, v in self.instance.alert_labels.items())

    def clean_labels_text(self) -> dict:
        labels = {}
        for number, line in enumerate(self.cleaned_data["labels_text"].splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise forms.ValidationError(_("Line %(n)d is not key=value.") % {"n": number})
            labels[key.strip()] = value.strip()
        return labels

    def values(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["alert_labels"] = self.cleaned_data["labels_text"]
        return data
