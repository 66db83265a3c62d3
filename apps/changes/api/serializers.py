"""API shapes: changes (the plan's fields), change sources, links with their factors, and settings."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from aiops.access import access_for
from aiops.api.fields import SecretField
from aiops.api.serializers import OrgOwnedSerializer
from aiops.roles import Role

from .. import conf, forms, selectors
from ..choices import ChangeOrigin, CorrelationStatus
from ..explain import factor_rows, reason
from ..models import (
    CORRECTABLE_FIELDS,
    SOURCE_CONFIG_FIELDS,
    ChangeCorrelation,
    ChangeEvent,
    ChangeSource,
    CorrelationSettings,
)
from ..payloads import PayloadError, parse_generic
from ..summary import change_url


class ChangeEventSerializer(OrgOwnedSerializer):
    """A change with the plan's names (`timestamp`, `user`, `related_alerts`, `correlation_score`)."""

    timestamp = serializers.DateTimeField(source="started_at", read_only=True)
    user = serializers.CharField(source="author", read_only=True)
    related_alerts = serializers.SerializerMethodField()
    url_portal = serializers.SerializerMethodField()

    class Meta:
        model = ChangeEvent
        fields = [
            "id",
            "event_type",
            "source",
            "service",
            "environment",
            "version",
            "previous_version",
            "description",
            "user",
            "author",
            "commit_sha",
            "url",
            "timestamp",
            "started_at",
            "finished_at",
            "duration_seconds",
            "status",
            "metadata",
            "external_id",
            "change_source",
            "correlation_score",
            "related_alerts",
            "url_portal",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "source",
            "external_id",
            "change_source",
            "correlation_score",
            "created_at",
            "updated_at",
            "started_at",
        ]

    def get_related_alerts(self, obj) -> list[int]:
        """Alerts linked to the change (suggested or confirmed), best first."""
        prefetched = getattr(obj, "live_links", None)
        if prefetched is not None:
            return [row.alert_id for row in prefetched]
        return list(
            obj.correlations.exclude(status=CorrelationStatus.REJECTED)
            .order_by("-confidence")
            .values_list("alert_id", flat=True)
        )

    def get_url_portal(self, obj) -> str:
        return change_url(obj)


class ChangeEventUpdateSerializer(OrgOwnedSerializer):
    """What an admin may correct on a recorded change."""

    class Meta:
        model = ChangeEvent
        fields = CORRECTABLE_FIELDS

    def validate(self, attrs):
        started = attrs.get("started_at", getattr(self.instance, "started_at", None))
        finished = attrs.get("finished_at", getattr(self.instance, "finished_at", None))
        if started and finished and finished < started:
            raise serializers.ValidationError({"finished_at": "is before the change started"})
        return attrs


class ChangeIngestSerializer(serializers.Serializer):
    """POST /changes: the plan's webhook payload, validated by the same reader as the webhook."""

    def to_internal_value(self, data):
        try:
            return {"change": parse_generic(data, default_source=ChangeOrigin.MANUAL, received_at=timezone.now())}
        except PayloadError as exc:
            raise serializers.ValidationError(exc.errors) from exc


class CorrelationSerializer(OrgOwnedSerializer):
    change = ChangeEventSerializer(read_only=True)
    alert_name = serializers.CharField(source="alert.name", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True)
    explanation = serializers.SerializerMethodField()
    factor_rows = serializers.SerializerMethodField()

    class Meta:
        model = ChangeCorrelation
        fields = [
            "id",
            "change",
            "alert",
            "alert_name",
            "correlation_type",
            "confidence",
            "factors",
            "explanation",
            "factor_rows",
            "time_delta_seconds",
            "status",
            "decided_by",
            "decided_at",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_explanation(self, obj) -> str:
        return reason(obj.factors)

    def get_factor_rows(self, obj) -> list[dict]:
        return factor_rows(obj.factors)


class VerdictSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[CorrelationStatus.CONFIRMED, CorrelationStatus.REJECTED], default=CorrelationStatus.CONFIRMED
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ChangeSourceSerializer(OrgOwnedSerializer):
    secret = SecretField(help_text="GitHub webhook secret / GitLab secret token / bearer token; write-only.")
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = ChangeSource
        fields = [
            "id", "name", "kind", "enabled", *SOURCE_CONFIG_FIELDS, "last_received_at", "created_by", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["last_received_at", "created_at", "updated_at"]

    def validate_service_map(self, value):
        errors = forms.service_map_errors(value)
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        org = getattr(request, "organization", None)
        # The URL is the credential senders use: only admins of the organisation see it.
        if request is not None and org is not None and access_for(request.user).has_role(org.pk, Role.ADMIN):
            data["webhook_url"] = selectors.source_webhook_url(instance)
        return data


class CorrelationSettingsSerializer(OrgOwnedSerializer):
    class Meta:
        model = CorrelationSettings
        exclude = ["organization"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_change_type_risk(self, value):
        errors = forms.change_type_risk_errors(value)
        if errors:
            raise serializers.ValidationError(errors)
        return value


class RelatedChangeSerializer(serializers.Serializer):
    """One change from an alert's window: the change, its score now and its stored link (if any)."""

    change = ChangeEventSerializer()
    confidence = serializers.FloatField()
    status = serializers.CharField(allow_null=True, help_text="suggested, confirmed, rejected, or null (no link)")
    related = serializers.BooleanField(source="relevant")
    correlation_id = serializers.SerializerMethodField()
    factors = serializers.DictField()
    explanation = serializers.SerializerMethodField()

    def get_correlation_id(self, obj) -> int | None:
        return obj.correlation.pk if obj.correlation else None

    def get_explanation(self, obj) -> str:
        return reason(obj.factors)


class StatsQuerySerializer(serializers.Serializer):
    after = serializers.DateTimeField(required=False)
    before = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        before = attrs.get("before") or timezone.now()
        after = attrs.get("after") or before - timedelta(days=conf.dashboard_days())
        if after >= before:
            raise serializers.ValidationError({"after": "must be before `before`"})
        if before - after > timedelta(days=366):
            raise serializers.ValidationError({"after": "the period may span at most 366 days"})
        return {"after": after, "before": before}
