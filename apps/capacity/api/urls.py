from django.urls import path

from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("capacity/resources", views.CapacityMetricViewSet, basename="capacitymetric")
router.register("capacity/queries", views.ResourceQueryViewSet, basename="resourcequery")
router.register("capacity/thresholds", views.CapacityThresholdViewSet, basename="capacitythreshold")
router.register("capacity/reports", views.CapacityReportViewSet, basename="capacityreport")
urlpatterns = [
    path("capacity/metrics", views.CapacityMetricViewSet.as_view({"get": "list"}), name="capacity-metrics"),
    path("capacity/metrics/<str:kind>", views.MetricsByTypeView.as_view(), name="capacity-metrics-type"),
    path("capacity/forecast/<int:resource>", views.ForecastView.as_view(), name="capacity-forecast"),
    path("capacity/recommendations", views.RecommendationsView.as_view(), name="capacity-recommendations"),
    *router.urls,
]
