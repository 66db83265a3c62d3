from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("integrations", views.IntegrationViewSet, basename="integration")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("alert-events", views.AlertEventViewSet, basename="alertevent")
urlpatterns = router.urls
