from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("sla/definitions", views.SLADefinitionViewSet, basename="sla-definition")
router.register("sla/clocks", views.SLAClockViewSet, basename="sla-clock")
router.register("sla/breaches", views.SLABreachViewSet, basename="sla-breach")
router.register("sla/reports", views.ComplianceReportViewSet, basename="sla-report")
urlpatterns = router.urls
