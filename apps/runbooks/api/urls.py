from rest_framework.routers import SimpleRouter

from . import views


class OptionalSlashRouter(SimpleRouter):
    """Routes answer with and without the trailing slash (`POST /api/v1/runbooks/import` as the spec
    writes it). DRF 3.18 turns `trailing_slash="/?"` into "/", so the pattern is set after init."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("runbooks", views.RunbookViewSet, basename="runbook")
router.register("runbook-versions", views.RunbookVersionViewSet, basename="runbook-version")
router.register("ssh-targets", views.SshTargetViewSet, basename="ssh-target")
router.register("runbook-executions", views.RunbookExecutionViewSet, basename="runbook-execution")
router.register("runbook-step-results", views.StepResultViewSet, basename="runbook-step-result")
router.register("runbook-audit-events", views.ExecutionEventViewSet, basename="runbook-audit-event")
router.register("runbook-trigger-waits", views.TriggerWaitViewSet, basename="runbook-trigger-wait")
urlpatterns = router.urls
