"""The timeline: one append-only row per domain event, kept per organisation.

Rows are written only by the event subscriber (services.timeline_entry_record) and never changed,
so a post-mortem reads exactly what happened. Alert and incident ids are plain integers, not
foreign keys: the timeline must outlive and not import the apps that produce its events.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.models import TeamOwnedModel

from .kinds import entry_type, kind_colour


class TimelineEntry(TeamOwnedModel):
    """What happened, when (event time), who did it, and where to read more.

    Team-owned (an OrgOwnedModel with an optional team) so an event about a team's alert is seen
    only by those who may see the alert; the team is copied from the event's subject.
    """

    event_id = models.CharField(_("event id"), max_length=64, unique=True, editable=False,
                                help_text=_("The domain event's id: a redelivered event is stored once."))
    kind = models.CharField(_("kind"), max_length=64,
                            help_text=_("The domain event name, e.g. alert.received."))
    occurred_at = models.DateTimeField(_("occurred at"))
    incident_id = models.BigIntegerField(_("incident id"), null=True, blank=True)
    alert_id = models.BigIntegerField(_("alert id"), null=True, blank=True)
    subject_type = models.CharField(_("subject type"), max_length=100, blank=True)
    subject_id = models.BigIntegerField(_("subject id"), null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("actor"))
    actor_label = models.CharField(_("by"), max_length=200, blank=True)
    summary = models.TextField(_("summary"))
    details = models.TextField(_("details"), blank=True)
    source_url = models.URLField(_("source"), max_length=2000, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["organization", "incident_id", "occurred_at"], name="timeline_org_incident"),
            models.Index(fields=["organization", "alert_id", "occurred_at"], name="timeline_org_alert"),
            models.Index(fields=["organization", "kind", "occurred_at"], name="timeline_org_kind"),
            models.Index(fields=["organization", "occurred_at"], name="timeline_org_time"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind}"

    @property
    def type(self) -> str:
        """The coarse kind the SVG lanes, colours and the plan's `type` field use."""
        return entry_type(self.kind)

    @property
    def colour(self) -> str:
        return kind_colour(self.kind)
