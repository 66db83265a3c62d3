from rest_framework import serializers

from aiops.api.serializers import OrgOwnedSerializer

from ..models import TimelineEntry


class TimelineEntrySerializer(OrgOwnedSerializer):
    """One entry; `type`, `timestamp` and `title` are the plan's timeline fields, kept for clients of it."""

    type = serializers.CharField(read_only=True, help_text="alert, incident, change, execution, comment, ...")
    timestamp = serializers.DateTimeField(source="occurred_at", read_only=True)
    title = serializers.CharField(source="summary", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "event_id", "kind", "type", "occurred_at", "timestamp", "summary", "title",
                  "details", "actor", "actor_label", "source_url", "incident_id", "alert_id", "subject_type",
                  "subject_id", "team", "data", "created_at"]
        read_only_fields = fields
