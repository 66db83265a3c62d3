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


class Event(models.Model):
    """A published domain event, written in the transaction of the change that caused it.

    The broker message sent after commit is only a wake-up call: this row is the event. Each
    subscriber records an `EventReceipt` in the transaction that does its work, and the sweeper
    (`aiops.outbox.sweep`) re-sends the events a subscriber has not receipted within the grace
    period, so a lost, stranded or refused message costs a delay, never the work.
    """

    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=60)
    organization_id = models.BigIntegerField(null=True)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    # When the sweeper next looks at the event; NULL once every subscriber has receipted it (or
    # it was given up after AIOPS_EVENT_MAX_SWEEPS), so the sweep's index only holds open work.
    next_sweep_at = models.DateTimeField(null=True)
    sweeps = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True)
    given_up_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("domain event")
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["next_sweep_at"], name="aiops_event_sweep",
                         condition=models.Q(next_sweep_at__isnull=False)),
            models.Index(fields=["created_at"], name="aiops_event_created"),
        ]

    def __str__(self):
        return f"{self.name} {self.id}"


class EventReceipt(models.Model):
    """Subscriber `subscriber` has done its work for event `event_id` (exactly once).

    Inserted with ON CONFLICT DO NOTHING RETURNING in the subscriber's own transaction: a
    redelivered or re-swept event finds its receipt and is skipped, and two concurrent copies of one
    message serialise on the unique key, so the second sees the first's commit and does nothing.
    No foreign key: receipts of messages queued before the outbox existed have no Event row.
    """

    event_id = models.UUIDField()
    subscriber = models.CharField(max_length=120)
    processed_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("event receipt")
        constraints = [models.UniqueConstraint(fields=["event_id", "subscriber"], name="aiops_receipt_once")]

    def __str__(self):
        return f"{self.subscriber} ← {self.event_id}"


class Heartbeat(models.Model):
    """A worker or beat process saying it is alive, every few seconds (see aiops.heartbeat).

    `/readyz` and the admins' banner read these rows: a portal whose workers are all dead accepts
    webhooks but does nothing with them, which must be visible, not discovered an hour later.
    """

    class Kind(models.TextChoices):
        WORKER = "worker", _("worker")
        BEAT = "beat", _("beat")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("process heartbeat")
        constraints = [models.UniqueConstraint(fields=["kind", "hostname"], name="aiops_heartbeat_one")]

    def __str__(self):
        return f"{self.kind} {self.hostname}"
