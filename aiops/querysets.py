"""The tenancy chokepoint: `visible_to(user, organization)` on every tenant-owned queryset.

One call answers "which rows of this model may this user see in this organisation":

    Alert.objects.visible_to(request.user, request.organization)

`organization=None` (no active organisation) is no rows. Leaving `organization` out keeps the rows
of every organisation the user belongs to (tasks and reports that span them); the older two-call
form `visible_to(user).for_org(org)` still works and means the same as the one call.
"""
from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import BigIntegerField, Case, Q, When
from django.db.models.functions import Cast

from .access import access_for

ALL_ORGANIZATIONS = object()  # `visible_to(user)`: every organisation the user belongs to


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, organization) -> OrgScopedQuerySet:
        org_id = getattr(organization, "pk", organization)
        if org_id is None:
            return self.none()
        return self.filter(organization_id=org_id)

    def visible_to(self, user, organization=ALL_ORGANIZATIONS) -> OrgScopedQuerySet:
        """The chokepoint: rows `user` may see, in `organization` when given (None → no rows).

        Subclasses narrow visibility by overriding `visible_rows`, never this method, so the
        organisation argument means the same thing on every model.
        """
        qs = self.visible_rows(user)
        return qs if organization is ALL_ORGANIZATIONS else qs.for_org(organization)

    def visible_rows(self, user) -> OrgScopedQuerySet:
        """Rows the user may see, in any of their organisations.

        Admins and owners see their whole organisation; viewers and operators see rows of their
        teams plus organisation-wide rows (team empty); rows shared with the user or one of the
        user's groups through django-guardian's `view_<model>` permission are added.
        """
        access = access_for(user)
        if access.user_id is None:
            return self.none()
        if access.is_superuser:
            return self
        scope = Q(organization_id__in=access.whole_org_ids)
        member_orgs = access.member_org_ids
        if _has_team(self.model):
            scope |= Q(organization_id__in=member_orgs) & (
                Q(team__isnull=True) | Q(team_id__in=access.team_ids)
            )
        else:
            scope |= Q(organization_id__in=member_orgs)
        # Sharing never crosses organisations: the row must still be in one of the user's.
        scope |= Q(pk__in=_shared_object_ids(access.user_id, self.model), organization_id__in=member_orgs)
        return self.filter(scope)


def _has_team(model) -> bool:
    return any(f.name == "team" for f in model._meta.concrete_fields)


def _shared_object_ids(user_id, model):
    """Primary keys of rows shared with the user (directly or through a group), as a subquery.

    Nothing is fetched here: the union of guardian's user and group permissions is embedded in
    the caller's query, which stays one round trip. Guardian stores object keys as text; a key
    that is not a number (another model's string key) maps to NULL, which matches no row. The
    CASE makes PostgreSQL test the pattern before it casts, whatever plan it picks.
    """
    from guardian.models import GroupObjectPermission, UserObjectPermission

    ct = ContentType.objects.get_for_model(model)  # cached per process after the first lookup
    codename = f"view_{model._meta.model_name}"
    as_number = Case(
        When(object_pk__regex=r"^[0-9]{1,18}$", then=Cast("object_pk", BigIntegerField())),
        default=None,
        output_field=BigIntegerField(),
    )
    by_user = UserObjectPermission.objects.filter(
        user_id=user_id, content_type=ct, permission__codename=codename
    ).values(shared_pk=as_number)
    by_group = GroupObjectPermission.objects.filter(
        group__user__id=user_id, content_type=ct, permission__codename=codename
    ).values(shared_pk=as_number)
    return by_user.union(by_group)


class OrgScopedManager(models.Manager.from_queryset(OrgScopedQuerySet)):
    pass


# Models that are not tenant-owned rows but are still offered as choices (users, organisations):
# the tenancy app registers how to narrow them to one organisation.
_related_scopes: dict = {}


def register_related_scope(model, narrow) -> None:
    """`narrow(queryset, user, organization)` → the rows of `model` a member of it may pick."""
    _related_scopes[model] = narrow


def scope_choices(queryset, user, organization):
    """The one narrowing of related-object choices (API fields and filters, admin filters).

    Tenant-owned rows: what the user sees in the organisation. Registered models (users,
    organisations): their registered scope. Anything else is not tenant data and is unchanged.
    """
    if getattr(user, "is_superuser", False) and organization is None:
        return queryset
    if isinstance(queryset, OrgScopedQuerySet):
        return queryset.visible_to(user, organization)
    narrow = _related_scopes.get(queryset.model)
    if narrow is None:
        for model, candidate in _related_scopes.items():
            if issubclass(queryset.model, model):
                narrow = candidate
                break
    return queryset if narrow is None else narrow(queryset, user, organization)


def choices_for_request(model):
    """A django-filter `queryset=` callable: the rows of `model` the requester sees in the active
    organisation (none without a request or an organisation)."""

    def queryset(request):
        if request is None:
            return model.objects.none()
        return model.objects.visible_to(request.user, getattr(request, "organization", None))

    return queryset
