"""The tenancy chokepoint: `visible_to(user)` and `for_org(org)` on every tenant-owned queryset."""
from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from .access import access_for


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, organization) -> OrgScopedQuerySet:
        org_id = getattr(organization, "pk", organization)
        if org_id is None:
            return self.none()
        return self.filter(organization_id=org_id)

    def visible_to(self, user) -> OrgScopedQuerySet:
        """Rows the user may see.

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
        shared = _shared_object_ids(user, self.model)
        if shared is not None:
            # Sharing never crosses organisations: the row must still be in one of the user's.
            scope |= Q(pk__in=shared, organization_id__in=member_orgs)
        return self.filter(scope)


def _has_team(model) -> bool:
    return any(f.name == "team" for f in model._meta.concrete_fields)


def _shared_object_ids(user, model):
    """Primary keys of rows shared with the user through guardian, as a subquery."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    ct = ContentType.objects.get_for_model(model)
    codename = f"view_{model._meta.model_name}"
    by_user = UserObjectPermission.objects.filter(
        user=user, content_type=ct, permission__codename=codename
    ).values_list("object_pk", flat=True)
    by_group = GroupObjectPermission.objects.filter(
        group__in=user.groups.all(), content_type=ct, permission__codename=codename
    ).values_list("object_pk", flat=True)
    ids = [int(pk) for pk in list(by_user) + list(by_group) if str(pk).isdigit()]
    return ids or None


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
        return queryset.visible_to(user).for_org(organization)
    narrow = _related_scopes.get(queryset.model)
    if narrow is None:
        for model, candidate in _related_scopes.items():
            if issubclass(queryset.model, model):
                narrow = candidate
                break
    return queryset if narrow is None else narrow(queryset, user, organization)
