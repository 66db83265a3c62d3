"""API viewsets: thin — parse, authorise (action_roles), call a service, serialise."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.viewsets import OrgScopedMixin, OrgScopedModelViewSet, OrgScopedReadOnlyViewSet
from aiops.roles import Role

from .. import services
from ..filtersets import (
    EscalationFilterSet,
    EscalationPolicyFilterSet,
    NotificationChannelFilterSet,
    NotificationDeliveryFilterSet,
    NotificationRuleFilterSet,
    SnoozeFilterSet,
)
from ..models import (
    Escalation,
    EscalationPolicy,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    Snooze,
)
from .serializers import (
    EscalationPolicySerializer,
    EscalationSerializer,
    NotificationChannelSerializer,
    NotificationDeliverySerializer,
    NotificationRuleSerializer,
    SnoozeSerializer,
)


@contextmanager
def as_drf_errors():
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        ) from exc


class NotificationChannelViewSet(OrgScopedModelViewSet):
    queryset = NotificationChannel.objects.all()
    serializer_class = NotificationChannelSerializer
    filterset_class = NotificationChannelFilterSet
    ordering_fields = ["name", "kind", "created_at"]
    action_roles = {**CRUD_ADMIN, "test": Role.ADMIN}

    def perform_create(self, serializer):
        with as_drf_errors():
            serializer.instance = services.channel_create(
                organization=self.organization, created_by=self.request.user, **serializer.validated_data
            )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        with as_drf_errors():
            serializer.instance = services.channel_update(
                channel=serializer.instance, config=data.pop("config", None), **data
            )

    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a test notification now; the answer is the delivery log row (status sent or failed)."""
        delivery = services.channel_send_test(channel=self.get_object(), user=request.user)
        body = NotificationDeliverySerializer(delivery, context=self.get_serializer_context()).data
        return Response(
            body, status=status.HTTP_200_OK if delivery.status == "sent" else status.HTTP_502_BAD_GATEWAY
        )


class NotificationRuleViewSet(OrgScopedModelViewSet):
    queryset = NotificationRule.objects.select_related("escalation_policy").prefetch_related(
        "channels", "teams"
    )
    serializer_class = NotificationRuleSerializer
    filterset_class = NotificationRuleFilterSet
    ordering_fields = ["priority", "name", "created_at"]
    action_roles = CRUD_ADMIN

    def perform_create(self, serializer):
        with as_drf_errors():
            serializer.instance = services.rule_create(
                organization=self.organization, created_by=self.request.user, **serializer.validated_data
            )

    def perform_update(self, serializer):
        with as_drf_errors():
            serializer.instance = services.rule_update(rule=serializer.instance, **serializer.validated_data)


class EscalationPolicyViewSet(OrgScopedModelViewSet):
    queryset = EscalationPolicy.objects.all()
    serializer_class = EscalationPolicySerializer
    filterset_class = EscalationPolicyFilterSet
    ordering_fields = ["name", "created_at"]
    action_roles = CRUD_ADMIN

    def _save(self, serializer, policy=None):
        data = dict(serializer.validated_data)
        levels = data.pop("levels", None)
        name = data.pop("name", getattr(policy, "name", ""))
        with as_drf_errors():
            serializer.instance = services.escalation_policy_save(
                organization=self.organization,
                name=name,
                levels=levels,
                policy=policy,
                **({"created_by": self.request.user} if policy is None else {}),
                **data,
            )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, policy=serializer.instance)


class NotificationDeliveryViewSet(OrgScopedReadOnlyViewSet):
    """The delivery log (`notification_logs`): every attempt's outcome, newest first."""

    queryset = NotificationDelivery.objects.select_related("channel", "subject")
    serializer_class = NotificationDeliverySerializer
    filterset_class = NotificationDeliveryFilterSet
    ordering_fields = ["created_at", "sent_at", "status"]
    action_roles = {**READ, "retry": Role.OPERATOR}

    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Send a failed delivery again with a fresh attempt budget."""
        with as_drf_errors():
            delivery = services.delivery_retry(delivery=self.get_object(), user=request.user)
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class EscalationViewSet(OrgScopedReadOnlyViewSet):
    queryset = Escalation.objects.select_related("subject")
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilterSet
    ordering_fields = ["started_at", "status"]
    action_roles = {**READ, "cancel": Role.OPERATOR}

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        escalation = services.escalation_cancel(escalation=self.get_object(), user=request.user)
        return Response(self.get_serializer(escalation).data)


class SnoozeViewSet(OrgScopedMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Snoozes are created and ended (or deleted), never edited."""

    queryset = Snooze.objects.select_related("rule")
    serializer_class = SnoozeSerializer
    filterset_class = SnoozeFilterSet
    ordering_fields = ["until", "created_at"]
    action_roles = {**READ, "create": Role.OPERATOR, "destroy": Role.OPERATOR, "end": Role.OPERATOR}

    def perform_create(self, serializer):
        with as_drf_errors():
            serializer.instance = services.snooze_create(
                organization=self.organization, created_by=self.request.user, **serializer.validated_data
            )

    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End a snooze now (it stays listed for the record)."""
        snooze = services.snooze_end(snooze=self.get_object())
        return Response(self.get_serializer(snooze).data)
