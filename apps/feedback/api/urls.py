from django.urls import re_path

from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("remediation-feedback", views.RemediationFeedbackViewSet, basename="remediation-feedback")
router.register("analysis-feedback", views.AnalysisFeedbackViewSet, basename="analysis-feedback")
router.register("remediations", views.SuccessfulRemediationViewSet, basename="remediation")
router.register("repeat-checks", views.RepeatCheckViewSet, basename="repeat-check")

urlpatterns = [
    re_path(r"^alerts/(?P<alert_id>[0-9]+)/feedback/?$", views.AlertFeedbackView.as_view(), name="alert-feedback"),
    re_path(
        r"^(?:runbook-)?executions/(?P<execution_id>[0-9]+)/feedback/?$",
        views.ExecutionFeedbackView.as_view(),
        name="execution-feedback",
    ),
    re_path(r"^feedback/stats/?$", views.FeedbackStatsView.as_view(), name="feedback-stats"),
    *router.urls,
]
