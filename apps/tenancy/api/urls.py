from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("teams", views.TeamViewSet, basename="team")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("tokens", views.ApiTokenViewSet, basename="apitoken")
urlpatterns = router.urls
