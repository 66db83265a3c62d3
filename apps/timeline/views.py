"""Portal pages: the full timeline of an incident or alert, and its Markdown download."""
from django.http import Http404, HttpResponse
from django.views.generic import TemplateView, View

from aiops.views import OrgScopedViewMixin

from . import conf
from .display import ALERT, INCIDENT, TimelineSubject, timeline_context
from .filtersets import TimelineEntryFilterSet
from .markdown import timeline_markdown


class _SubjectMixin(OrgScopedViewMixin):
    subject: TimelineSubject = None

    def subject_entries(self):
        pk = self.kwargs["pk"]
        if not self.subject.visible(self.request.user, self.request.organization, pk):
            raise Http404
        return self.subject.entries(self.request.user, self.request.organization, pk)


class TimelinePageView(_SubjectMixin, TemplateView):
    """The visual timeline with filters (type, event, time range, text)."""

    template_name = "timeline/page.html"

    def get_context_data(self, **kwargs):
        entries = self.subject_entries()
        pk = self.kwargs["pk"]
        filterset = TimelineEntryFilterSet(self.request.GET or None, queryset=entries, request=self.request)
        # An invalid field is reported on the form and ignored; the valid ones still filter.
        shown = filterset.qs
        facts = self.subject.facts(entries, pk)
        return super().get_context_data(
            facts=facts, title=self.subject.title(facts), filterset=filterset,
            timeline=timeline_context(self.subject, pk, shown, limit=conf.page_limit()), **kwargs,
        )


class TimelineMarkdownView(_SubjectMixin, View):
    """Every entry as a Markdown file for the post-mortem document."""

    def get(self, request, pk):
        return markdown_response(self.subject, pk, self.subject_entries())


def markdown_response(subject: TimelineSubject, pk: int, entries) -> HttpResponse:
    facts = subject.facts(entries, pk)
    body = timeline_markdown(title=subject.title(facts), facts=facts,
                             entries=list(entries.iterator(chunk_size=2000)))
    response = HttpResponse(body, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{subject.name}-{pk}-timeline.md"'
    return response


incident_page = TimelinePageView.as_view(subject=INCIDENT)
alert_page = TimelinePageView.as_view(subject=ALERT)
incident_markdown = TimelineMarkdownView.as_view(subject=INCIDENT)
alert_markdown = TimelineMarkdownView.as_view(subject=ALERT)
