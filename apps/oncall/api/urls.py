from django.urls import re_path

from aiops.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("oncall/schedules", views.ScheduleViewSet, basename="oncall-schedule")
router.register("oncall/layers", views.LayerViewSet, basename="oncall-layer")
router.register("oncall/overrides", views.OverrideViewSet, basename="oncall-override")
router.register("oncall/feeds", views.CalendarFeedViewSet, basename="oncall-feed")
urlpatterns = [
    re_path(r"^oncall/users/me/shifts/?$", views.MyShiftsView.as_view(), name="oncall-my-shifts"),
    *router.urls,
]
