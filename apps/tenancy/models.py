"""Organisations, teams, memberships with roles, and API tokens (gap 9)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aiops.access import access_for
from aiops.models import TimeStampedModel
from aiops.querysets import ALL_ORGANIZATIONS, OrgScopedManager, OrgScopedQuerySet
from aiops.roles import Role


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user, organization=ALL_ORGANIZATIONS):
        access = access_for(user)
        qs = self if access.is_superuser else self.filter(pk__in=access.member_org_ids)
        return qs if organization is ALL_ORGANIZATIONS else qs.for_org(organization)

    def for_org(self, organization):
        return self.filter(pk=getattr(organization, "pk", organization))


class Organization(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")

    def __str__(self):
        return self.name


class Team(TimeStampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    settings = models.JSONField(_("settings"), default=dict, blank=True)

    objects = OrgScopedManager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="team_slug_unique_in_org")]

    def __str__(self):
        return self.name


class Membership(TimeStampedModel):
    """A user's role in one organisation, and the teams they belong to there."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.PositiveSmallIntegerField(_("role"), choices=Role.choices, default=Role.VIEWER)
    teams = models.ManyToManyField(Team, blank=True, related_name="memberships")

    objects = OrgScopedManager()

    class Meta:
        ordering = ["organization", "user"]
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org")]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"


class ApiTokenQuerySet(OrgScopedQuerySet):
    def visible_rows(self, user):
        """Tokens are personal: a user sees their own; owners see every token of the organisation."""
        access = access_for(user)
        if access.is_superuser:
            return self
        owner_orgs = [org for org, role in access.roles.items() if role >= Role.OWNER]
        return self.filter(models.Q(user_id=access.user_id, organization_id__in=access.member_org_ids)
                           | models.Q(organization_id__in=owner_orgs))


class ApiToken(TimeStampedModel):
    """A bearer token bound to a user and one organisation; only its hash is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
