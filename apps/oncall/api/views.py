"""API viewsets: thin — parse, authorise (action_roles), call a service, serialise."""
from contextlib import contextmanager
from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from aiops.api.permissions import CRUD_ADMIN, READ
from aiops.api.views import OrgScopedAPIView
from aiops.api.viewsets import OrgScopedMixin, OrgScopedModelViewSet
from aiops.links import absolute_reverse
from aiops.roles import Role

from .. import selectors, services
from ..filtersets import CalendarFeedFilterSet, LayerFilterSet, OverrideFilterSet, ScheduleFilterSet
from ..models import CalendarFeed, Layer, Override, Schedule
from .serializers import (
    CalendarFeedSerializer,
    LayerSerializer,
    OverrideSerializer,
    ScheduleSerializer,
    ShiftSerializer,
)


@contextmanager
def as_drf_errors():
    try:
        yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


def _when(request, name: str, default):
    raw = request.query_params.get(name)
    if not raw:
        return default
    value = parse_datetime(raw.replace(" ", "+"))
    if value is None:
        raise serializers.ValidationError({name: ["Give an ISO 8601 date and time."]})
    return value if value.tzinfo else timezone.make_aware(value, timezone.utc)


def _shift_rows(shifts):
    names = selectors.users_by_id(s.user_id for s in shifts)
    rows = ShiftSerializer(shifts, many=True).data
    for row in rows:
        row["user_name"] = selectors.display_name(names.get(row["user"]))
    return rows


class ScheduleViewSet(OrgScopedModelViewSet):
    queryset = Schedule.objects.select_related("lead")
    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilterSet
    action_roles = {**CRUD_ADMIN, "oncall": Role.VIEWER, "shifts": Role.VIEWER, "gaps": Role.VIEWER}

    def perform_create(self, serializer):
        with as_drf_errors():
            serializer.instance = services.schedule_create(
                organization=self.organization, created_by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        with as_drf_errors():
            services.schedule_update(schedule=serializer.instance, **serializer.validated_data)

    @action(detail=True, methods=["get"])
    def oncall(self, request, pk=None):
        """Who is on call at `at` (default now): primary first, then the backups."""
        schedule = self.get_object()
        at = _when(request, "at", timezone.now())
        return Response({"at": at, "oncall": _shift_rows(selectors.oncall_at(schedule, at))})

    @action(detail=True, methods=["get"])
    def shifts(self, request, pk=None):
        """The final shifts between `from` and `to` (default: the next 14 days), at most 62 days."""
        schedule = self.get_object()
        start = _when(request, "from", timezone.now())
        end = _when(request, "to", start + timedelta(days=14))
        if not start < end <= start + timedelta(days=62):
            raise serializers.ValidationError({"to": ["Give a range of at most 62 days, ending after it starts."]})
        return Response({"from": start, "to": end, "shifts": _shift_rows(selectors.timeline(schedule, start, end))})

    @action(detail=True, methods=["get"])
    def gaps(self, request, pk=None):
        """Stretches of the next 14 days with nobody on call."""
        schedule = self.get_object()
        return Response({"gaps": _shift_rows(selectors.coverage_gaps(schedule))})


class LayerViewSet(OrgScopedModelViewSet):
    queryset = Layer.objects.select_related("schedule")
    serializer_class = LayerSerializer
    filterset_class = LayerFilterSet
    action_roles = CRUD_ADMIN

    def perform_create(self, serializer):
        with as_drf_errors():
            serializer.instance = services.layer_create(**serializer.validated_data)

    def perform_update(self, serializer):
        layer = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(layer, key, value)
        with as_drf_errors():
            services.layer_save(layer=layer)


class OverrideViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, OrgScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Overrides are created and deleted (an operator covering a shift), not edited."""

    queryset = Override.objects.select_related("schedule", "user")
    serializer_class = OverrideSerializer
    filterset_class = OverrideFilterSet
    action_roles = {**READ, "create": Role.OPERATOR, "destroy": Role.OPERATOR}

    def perform_create(self, serializer):
        with as_drf_errors():
            serializer.instance = services.override_create(created_by=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.override_delete(override=instance)


class CalendarFeedViewSet(mixins.CreateModelMixin, OrgScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Secret iCalendar URLs: the URL is in the create response only; `revoke` ends one."""

    queryset = CalendarFeed.objects.select_related("schedule", "user")
    serializer_class = CalendarFeedSerializer
    filterset_class = CalendarFeedFilterSet
    action_roles = {**READ, "create": Role.VIEWER, "revoke": Role.VIEWER}

    def get_queryset(self):
        qs = super().get_queryset()
        from aiops.access import access_for

        if access_for(self.request.user).has_role(self.organization.pk, Role.ADMIN):
            return qs
        return qs.filter(created_by=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("user") is not None and data["user"] != request.user and not _is_admin(request, self.organization):
            raise serializers.ValidationError({"user": ["Only admins create feeds of someone else's shifts."]})
        with as_drf_errors():
            feed, token = services.feed_create(organization=self.organization, created_by=request.user, **data)
        body = CalendarFeedSerializer(feed, context=self.get_serializer_context()).data
        body["url"] = absolute_reverse("oncall:feed", args=[token])
        return Response(body, status=201)

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        feed = services.feed_revoke(feed=self.get_object())
        return Response(CalendarFeedSerializer(feed, context=self.get_serializer_context()).data)


def _is_admin(request, organization) -> bool:
    from aiops.access import access_for

    return access_for(request.user).has_role(organization.pk, Role.ADMIN)


class MyShiftsView(OrgScopedAPIView):
    """`/oncall/users/me/shifts?from=&to=`: the caller's shifts on every schedule they can see."""

    method_actions = {"get": "list"}
    action_roles = {"list": Role.VIEWER}

    def get(self, request):
        start = _when(request, "from", timezone.now())
        end = _when(request, "to", start + timedelta(days=14))
        if not start < end <= start + timedelta(days=62):
            raise serializers.ValidationError({"to": ["Give a range of at most 62 days, ending after it starts."]})
        schedules = Schedule.objects.visible_to(request.user).for_org(self.organization)
        pairs = selectors.user_shifts(request.user, self.organization, start, end, schedules=schedules)
        rows = _shift_rows([s for _, s in pairs])
        for row, (schedule, _) in zip(rows, pairs, strict=True):
            row["schedule"] = schedule.pk
            row["schedule_name"] = schedule.name
        return Response({"from": start, "to": end, "shifts": rows})
