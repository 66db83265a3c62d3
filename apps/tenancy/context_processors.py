"""Template context: the organisations the user can switch between and the active one."""
from .selectors import active_organization_for_request, organizations_for_user


def organizations(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from aiops.access import access_for

    active = active_organization_for_request(request)
    role = access_for(user).role_in(active.pk) if active else None
    return {
        "active_organization": active,
        "user_organizations": organizations_for_user(user),
        "active_role": role,
    }
