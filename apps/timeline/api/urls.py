from django.urls import re_path

from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("timeline-entries", views.TimelineEntryViewSet, basename="timelineentry")
# Per-subject timelines live under the incidents and alerts prefixes, as the plan has them.
INCIDENT = r"^incidents/(?P<pk>\d+)/timeline"
ALERT = r"^alerts/(?P<pk>\d+)/timeline"
urlpatterns = [
    re_path(INCIDENT + r"\.md$", views.incident_markdown, name="timeline-incident-markdown"),
    re_path(INCIDENT + r"/?$", views.incident_timeline, name="timeline-incident"),
    re_path(ALERT + r"\.md$", views.alert_markdown, name="timeline-alert-markdown"),
    re_path(ALERT + r"/?$", views.alert_timeline, name="timeline-alert"),
    *router.urls,
]
