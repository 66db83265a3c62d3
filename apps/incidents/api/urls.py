from django.urls import re_path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash="/?")
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("incident-alerts", views.IncidentAlertViewSet, basename="incidentalert")
router.register("incident-comments", views.IncidentCommentViewSet, basename="incidentcomment")
urlpatterns = [
    re_path(r"^correlation/config/?$", views.CorrelationConfigView.as_view(), name="correlation-config"),
    *router.urls,
]
