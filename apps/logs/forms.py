"""Portal forms: the ad-hoc search form (sources limited to what the user may see)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import ADHOC_MAX_LIMIT, ADHOC_MAX_MINUTES


class SearchForm(forms.Form):
    source = forms.ModelChoiceField(queryset=None, label=_("source"))
    query = forms.CharField(label=_("query"), max_length=2000, widget=forms.TextInput(attrs={"size": 80}))
    minutes = forms.IntegerField(label=_("last minutes"), min_value=1, max_value=ADHOC_MAX_MINUTES, initial=15)
    limit = forms.IntegerField(label=_("lines at most"), min_value=1, max_value=ADHOC_MAX_LIMIT, initial=200)

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources
