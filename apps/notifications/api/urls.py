from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash="/?")
router.register("notifications/channels", views.NotificationChannelViewSet, basename="notification-channel")
router.register("notifications/rules", views.NotificationRuleViewSet, basename="notification-rule")
router.register(
    "notifications/escalation-policies", views.EscalationPolicyViewSet, basename="escalation-policy"
)
router.register("notifications/logs", views.NotificationDeliveryViewSet, basename="notification-log")
router.register("notifications/escalations", views.EscalationViewSet, basename="escalation")
router.register("notifications/snoozes", views.SnoozeViewSet, basename="snooze")
urlpatterns = router.urls
