from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash="/?")
router.register("oncall/schedules", views.ScheduleViewSet, basename="oncall-schedule")
router.register("oncall/layers", views.LayerViewSet, basename="oncall-layer")
router.register("oncall/overrides", views.OverrideViewSet, basename="oncall-override")
router.register("oncall/feeds", views.CalendarFeedViewSet, basename="oncall-feed")
urlpatterns = [path("oncall/users/me/shifts", views.MyShiftsView.as_view(), name="oncall-my-shifts")] + router.urls
