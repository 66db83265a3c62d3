from django.urls import path

from . import views

app_name = "oncall"
urlpatterns = [
    path("", views.ScheduleListView.as_view(), name="index"),
    path("new/", views.ScheduleEditView.as_view(), name="schedule-new"),
    path("me/", views.MyShiftsView.as_view(), name="my-shifts"),
    path("me/methods/", views.ContactMethodCreateView.as_view(), name="method-new"),
    path("me/methods/<int:method_pk>/delete/", views.ContactMethodDeleteView.as_view(), name="method-delete"),
    path("feeds/", views.FeedCreateView.as_view(), name="feed-new"),
    path("feeds/<int:feed_pk>/revoke/", views.FeedRevokeView.as_view(), name="feed-revoke"),
    path("ical/<str:token>.ics", views.feed, name="feed"),
    path("<int:pk>/", views.ScheduleDetailView.as_view(), name="schedule"),
    path("<int:pk>/month/", views.ScheduleMonthView.as_view(), name="schedule-month"),
    path("<int:pk>/edit/", views.ScheduleEditView.as_view(), name="schedule-edit"),
    path("<int:pk>/layers/new/", views.LayerEditView.as_view(), name="layer-new"),
    path("<int:pk>/layers/<int:layer_pk>/", views.LayerEditView.as_view(), name="layer-edit"),
    path("<int:pk>/overrides/", views.OverrideCreateView.as_view(), name="override-new"),
    path("<int:pk>/overrides/<int:override_pk>/delete/", views.OverrideDeleteView.as_view(), name="override-delete"),
    path("<int:pk>/import/", views.ImportView.as_view(), name="import"),
]
