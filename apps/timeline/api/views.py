"""Timeline API: the entry list (read-only) and per-incident / per-alert timelines, JSON or Markdown."""
import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from aiops.api.permissions import READ
from aiops.api.viewsets import OrgScopedMixin, OrgScopedReadOnlyViewSet

from .. import conf
from ..display import ALERT, INCIDENT, TimelineSubject
from ..filtersets import TimelineEntryFilterSet
from ..models import TimelineEntry
from ..views import markdown_response
from .serializers import TimelineEntrySerializer


class TimelineEntryViewSet(OrgScopedReadOnlyViewSet):
    """Every timeline entry you may see; filter by incident, alert, kind, type and time range.

    Entries are append-only: there is no create, update or delete.
    """

    queryset = TimelineEntry.objects.all()
    serializer_class = TimelineEntrySerializer
    filterset_class = TimelineEntryFilterSet
    action_roles = READ
    ordering_fields = ["occurred_at", "id"]
    ordering = ["occurred_at", "id"]


class _SubjectView(OrgScopedMixin, GenericAPIView):
    queryset = TimelineEntry.objects.all()
    serializer_class = TimelineEntrySerializer
    action_roles = READ
    subject: TimelineSubject = None

    def subject_entries(self, pk: int):
        if not self.subject.visible(self.request.user, self.request.organization, pk):
            raise NotFound(f"No such {self.subject.name}.")
        return self.subject.entries(self.request.user, self.request.organization, pk)


_TIMELINE = inline_serializer("SubjectTimeline", fields={
    "id": serializers.IntegerField(), "number": serializers.IntegerField(allow_null=True),
    "title": serializers.CharField(), "status": serializers.CharField(),
    "severity": serializers.CharField(), "url": serializers.CharField(), "count": serializers.IntegerField(),
    "truncated": serializers.BooleanField(), "events": TimelineEntrySerializer(many=True),
})


class SubjectTimelineView(_SubjectView):
    """The unified timeline (JSON), oldest first; filters as on /timeline-entries/."""

    filterset_class = TimelineEntryFilterSet
    ordering_fields = ["occurred_at", "id"]

    @extend_schema(responses={200: _TIMELINE, 404: OpenApiResponse(description="Not visible to you.")})
    def get(self, request, pk):
        pk = int(pk)
        entries = self.subject_entries(pk)
        limit = conf.page_limit()
        rows = list(self.filter_queryset(entries)[: limit + 1])
        facts = self.subject.facts(entries, pk)
        return Response({**facts, "count": min(len(rows), limit), "truncated": len(rows) > limit,
                         "events": self.get_serializer(rows[:limit], many=True).data})


class MarkdownRenderer(BaseRenderer):
    """Lets clients ask for text/markdown; errors still carry the JSON error body."""

    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode() if isinstance(data, str) else json.dumps(data).encode()


class SubjectMarkdownView(_SubjectView):
    """The whole timeline as a Markdown document for a post-mortem."""

    renderer_classes = [JSONRenderer, MarkdownRenderer]

    @extend_schema(responses={(200, "text/markdown"): OpenApiTypes.STR})
    def get(self, request, pk) -> HttpResponse:
        return markdown_response(self.subject, int(pk), self.subject_entries(int(pk)))


incident_timeline = SubjectTimelineView.as_view(subject=INCIDENT)
incident_markdown = SubjectMarkdownView.as_view(subject=INCIDENT)
alert_timeline = SubjectTimelineView.as_view(subject=ALERT)
alert_markdown = SubjectMarkdownView.as_view(subject=ALERT)
