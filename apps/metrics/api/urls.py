from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("metrics/sources", views.MetricSourceViewSet, basename="metricsource")
urlpatterns = router.urls
