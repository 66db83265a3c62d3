from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("gitsync/repositories", views.RepositoryViewSet, basename="gitsync-repository")
router.register("gitsync/sync-runs", views.SyncRunViewSet, basename="gitsync-syncrun")
router.register("gitsync/managed-runbooks", views.ManagedRunbookViewSet, basename="gitsync-managedrunbook")
router.register("gitsync/push-deliveries", views.PushDeliveryViewSet, basename="gitsync-pushdelivery")
urlpatterns = router.urls
