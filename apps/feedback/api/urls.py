from aiops.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
urlpatterns = router.urls
