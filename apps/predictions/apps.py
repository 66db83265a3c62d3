from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PredictionsConfig(AppConfig):
    name = "apps.predictions"
    label = "predictions"
    verbose_name = _("Predictions")

    def ready(self):
        from django.apps import apps

        from aiops import demo, panels, schedules

        from . import conf
        from .demo import seed
        from .panels import alert_panel_context

        panels.register_nav_item(_("Predictions"), "predictions:index", order=45)
        panels.register_panel("alert_detail", "predictions", "predictions/panels/alert.html",
                              context=alert_panel_context, order=12)
        schedules.register_periodic_task(
            "predictions: retrain forecasts", "predictions.retrain_all", every_seconds=conf.retrain_every_seconds(),
            queue="forecast", description="Re-pick each series' forecast model by rolling-origin backtest (nightly).")
        schedules.register_periodic_task(
            "predictions: refresh forecasts", "predictions.schedule_all", every_seconds=conf.refresh_every_seconds(),
            queue="forecast", description="Refresh forecasts, detect anomalies and evaluate predictive rules (hourly).")
        demo.register_seeder("predictions", seed, order=70)
        if apps.is_installed("apps.analysis"):
            from apps.analysis.context import register_context_provider

            from .ai_context import escalation_context

            register_context_provider("predictions", escalation_context, order=35)
