from django.urls import re_path

from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("llm-providers", views.LLMProviderViewSet, basename="llmprovider")
router.register("analysis-policies", views.AnalysisPolicyViewSet, basename="analysispolicy")
router.register("analyses", views.AnalysisViewSet, basename="analysis")
router.register("llm-calls", views.LLMCallViewSet, basename="llmcall")

urlpatterns = [
    re_path(r"^alerts/(?P<pk>[0-9]+)/analyze/?$", views.SubjectAnalyzeView.as_view(), name="alert-analyze"),
    re_path(
        r"^incidents/(?P<pk>[0-9]+)/analyze/?$", views.IncidentAnalyzeView.as_view(), name="incident-analyze"
    ),
    *router.urls,
]
