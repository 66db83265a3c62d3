"""Abstract base models every tenant-owned table derives from."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .querysets import OrgScopedManager


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class OrgOwnedModel(TimeStampedModel):
    """A row that belongs to exactly one organisation; the server sets it, never the client."""

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )

    objects = OrgScopedManager()

    class Meta:
        abstract = True


class TeamOwnedModel(OrgOwnedModel):
    """An organisation row that may belong to one team (empty team = organisation-wide)."""

    team = models.ForeignKey(
        "tenancy.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("team"),
    )

    class Meta:
        abstract = True


class CreatedByMixin(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False, verbose_name=_("created by"),
    )

    class Meta:
        abstract = True


class ParkedMessage(models.Model):
    """A domain-event message the broker refused, kept until a beat task sends it.

    Events are sent after the transaction that produced them commits. If the broker is down at
    that moment, the exact message (task, queue, payload) is parked here instead of being lost,
    and `aiops.send_parked` re-sends it as soon as the broker answers. Subscribers are idempotent
    per event or per alert, so a message sent twice (sent, then parked after a timeout) does no
    harm, while a message never sent would be a missed page.
    """

    task = models.CharField(max_length=200)
    queue = models.CharField(max_length=100, blank=True)
    payload = models.JSONField()
    events = models.PositiveIntegerField(default=1)
    attempts = models.PositiveIntegerField(default=1)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("parked event message")
        ordering = ["id"]

    def __str__(self):
        return f"{self.task} ({self.events} event(s), {self.attempts} attempt(s))"
