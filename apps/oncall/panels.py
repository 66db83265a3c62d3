"""Dashboard card: who is on call now on the schedules the user can see, and upcoming gaps."""
from django.utils import timezone

from aiops.access import access_for
from aiops.roles import Role

from . import selectors
from .models import Schedule


def dashboard_panel(request, organization) -> dict | None:
    if request is None or organization is None or not request.user.is_authenticated:
        return None
    if not access_for(request.user).has_role(organization.pk, Role.VIEWER):
        return None
    now = timezone.now()
    rows = []
    for schedule in Schedule.objects.visible_to(request.user).for_org(organization)[:10]:
        people = selectors.oncall_at(schedule, now)
        rows.append((schedule, people[0].user_id if people else None))
    names = selectors.users_by_id(uid for _, uid in rows)
    return {"oncall_rows": [(s, selectors.display_name(names.get(uid))) for s, uid in rows]}
