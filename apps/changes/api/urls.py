from django.urls import re_path

from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("changes", views.ChangeEventViewSet, basename="change")
router.register("change-correlations", views.ChangeCorrelationViewSet, basename="changecorrelation")
router.register("change-sources", views.ChangeSourceViewSet, basename="changesource")
urlpatterns = [
    re_path(
        r"^alerts/(?P<alert_id>[0-9]+)/related-changes/?$",
        views.AlertRelatedChangesView.as_view(),
        name="alert-related-changes",
    ),
    re_path(
        r"^change-correlation-settings/?$",
        views.CorrelationSettingsView.as_view(),
        name="change-correlation-settings",
    ),
    *router.urls,
]
