"""Portal pages: forecasts and anomalies, insights, target forms, a forecast's chart, card buttons."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, DetailView, TemplateView, UpdateView

from aiops.roles import Role
from aiops.views import OrgScopedViewMixin
from apps.alerts.models import Alert

from . import charts, selectors, services
from .forms import ForecastTargetForm
from .models import AnomalyDetection, ForecastTarget, MetricForecast


class PredictionsIndexView(OrgScopedViewMixin, TemplateView):
    template_name = "predictions/index.html"

    def get_context_data(self, **kwargs):
        org, user = self.request.organization, self.request.user
        forecasts = (MetricForecast.objects.visible_to(user, org).select_related("target")
                     .order_by("target__name", "metric_name")[:200])
        return super().get_context_data(
            targets=ForecastTarget.objects.visible_to(user, org).select_related("source"),
            forecasts=forecasts,
            anomalies=AnomalyDetection.objects.visible_to(user, org)[:50],
            insights=selectors.insights(organization_id=org.pk),
            can_edit=self.has_role(Role.ADMIN), **kwargs)


class _TargetFormMixin(OrgScopedViewMixin):
    model = ForecastTarget
    form_class = ForecastTargetForm
    template_name = "predictions/target_form.html"
    required_role = Role.ADMIN

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def get_success_url(self):
        return reverse("predictions:index")


class ForecastTargetCreateView(_TargetFormMixin, CreateView):
    def form_valid(self, form):
        form.instance.organization = self.request.organization
        form.instance.created_by = self.request.user
        return super().form_valid(form)


class ForecastTargetUpdateView(_TargetFormMixin, UpdateView):
    pass


class ForecastDetailView(OrgScopedViewMixin, DetailView):
    model = MetricForecast
    template_name = "predictions/forecast_detail.html"
    context_object_name = "forecast"

    def get_context_data(self, **kwargs):
        forecast = self.object
        return super().get_context_data(
            chart_svg=charts.trend_chart(forecast.history, forecast.predicted_values, title=forecast.series_label),
            **kwargs)


class _AlertAction(OrgScopedViewMixin, View):
    required_role = Role.OPERATOR

    def alert(self, pk):
        return get_object_or_404(Alert.objects.visible_to(self.request.user, self.request.organization),
                                 pk=pk, labels__kind="predictive")


class DismissView(_AlertAction):
    def post(self, request, pk):
        services.alert_dismiss(alert=self.alert(pk), user=request.user)
        messages.success(request, _("Predictive alert dismissed."))
        return redirect("alerts:detail", pk=pk)


class CreateTaskView(_AlertAction):
    def post(self, request, pk):
        services.task_create(alert=self.alert(pk), user=request.user, title=request.POST.get("title", ""))
        messages.success(request, _("Task created."))
        return redirect("alerts:detail", pk=pk)
