from django.urls import re_path

from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("logs/sources", views.LogSourceViewSet, basename="logsource")
router.register("logs/queries", views.LogQueryViewSet, basename="logquery")
router.register("logs/contexts", views.AlertLogContextViewSet, basename="alertlogcontext")
urlpatterns = [
    re_path(r"^logs/query/?$", views.AdhocQueryView.as_view(), name="logs-query"),
    re_path(r"^alerts/(?P<alert_id>[0-9]+)/logs/?$", views.AlertLogsView.as_view(), name="alert-logs"),
    *router.urls,
]
