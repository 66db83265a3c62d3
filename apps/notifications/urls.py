from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.DeliveryListView.as_view(), name="index"),
    path("log/<int:pk>/", views.DeliveryDetailView.as_view(), name="delivery"),
    path("log/<int:pk>/retry/", views.DeliveryRetryView.as_view(), name="delivery-retry"),
    path("channels/", views.ChannelListView.as_view(), name="channels"),
    path("channels/<int:pk>/test/", views.ChannelTestView.as_view(), name="channel-test"),
    path("rules/", views.RuleListView.as_view(), name="rules"),
    path("policies/", views.PolicyListView.as_view(), name="policies"),
    path("escalations/", views.EscalationListView.as_view(), name="escalations"),
    path("escalations/<int:pk>/cancel/", views.EscalationCancelView.as_view(), name="escalation-cancel"),
    path("snoozes/", views.SnoozeListView.as_view(), name="snoozes"),
    path("snoozes/<int:pk>/end/", views.SnoozeEndView.as_view(), name="snooze-end"),
    path("alerts/<int:alert_id>/snooze/", views.AlertSnoozeView.as_view(), name="alert-snooze"),
]
