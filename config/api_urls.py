"""The REST API under /api/v1/: each app contributes its router's routes here."""
from django.urls import include, path

urlpatterns = [
    path("", include("apps.tenancy.api.urls")),
    path("", include("apps.alerts.api.urls")),
    path("", include("apps.topology.api.urls")),
    path("", include("apps.incidents.api.urls")),
    path("", include("apps.timeline.api.urls")),
    path("", include("apps.notifications.api.urls")),
    path("", include("apps.analysis.api.urls")),
    path("", include("apps.runbooks.api.urls")),
    path("", include("apps.changes.api.urls")),
    path("", include("apps.gitsync.api.urls")),
    path("", include("apps.feedback.api.urls")),
    path("", include("apps.sla.api.urls")),
    path("", include("apps.oncall.api.urls")),
    path("", include("apps.logs.api.urls")),
    path("", include("apps.metrics.api.urls")),
    path("", include("apps.predictions.api.urls")),
    path("", include("apps.capacity.api.urls")),
]
