from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash="/?")
router.register("integrations", views.IntegrationViewSet, basename="integration")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("alert-events", views.AlertEventViewSet, basename="alertevent")
urlpatterns = router.urls
