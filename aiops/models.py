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
