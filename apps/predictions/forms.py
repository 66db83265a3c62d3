from django import forms

from apps.metrics.models import MetricSource

from .models import ForecastTarget


class ForecastTargetForm(forms.ModelForm):
    class Meta:
        model = ForecastTarget
        fields = ["name", "source", "query", "step_seconds", "history_days", "horizon_hours", "model_choice",
                  "detect_anomalies", "enabled"]
        widgets = {"query": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = MetricSource.objects.visible_to(request.user, request.organization)
