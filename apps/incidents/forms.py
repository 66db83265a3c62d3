from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import IncidentStatus


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=IncidentStatus.choices)
    note = forms.CharField(required=False, max_length=10000)


class MergeForm(forms.Form):
    number = forms.IntegerField(
        label=_("Merge incident number"),
        min_value=1,
        help_text=_("Its alerts move into this incident; it resolves."),
    )


class AlertIdForm(forms.Form):
    alert = forms.IntegerField(label=_("Alert id"), min_value=1)
    move = forms.BooleanField(required=False, label=_("Move from another incident"))


class PostmortemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    impact = forms.CharField(label=_("Impact"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    customer_impact = forms.BooleanField(label=_("Customers affected"), required=False)
    root_cause_analysis = forms.CharField(
        label=_("Root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lessons_learned = forms.CharField(
        label=_("Lessons learned"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    action_items = forms.CharField(
        label=_("Action items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line; start a line with [x] when done."),
    )
    postmortem_url = forms.URLField(
        label=_("Post-mortem document"), required=False, max_length=2000, assume_scheme="https"
    )

    def clean_action_items(self):
        items = []
        for line in self.cleaned_data["action_items"].splitlines():
            line = line.strip()
            if not line:
                continue
            done = line.lower().startswith("[x]")
            title = line[3:].strip() if done or line.startswith("[ ]") else line
            if title:
                items.append({"title": title, "done": done})
        return items
