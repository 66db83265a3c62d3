from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("runbooks", views.RunbookViewSet, basename="runbook")
router.register("runbook-versions", views.RunbookVersionViewSet, basename="runbook-version")
router.register("ssh-targets", views.SshTargetViewSet, basename="ssh-target")
router.register("runbook-executions", views.RunbookExecutionViewSet, basename="runbook-execution")
router.register("runbook-step-results", views.StepResultViewSet, basename="runbook-step-result")
router.register("runbook-audit-events", views.ExecutionEventViewSet, basename="runbook-audit-event")
router.register("runbook-trigger-waits", views.TriggerWaitViewSet, basename="runbook-trigger-wait")
urlpatterns = router.urls
