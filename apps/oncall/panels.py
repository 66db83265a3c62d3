"""Dashboard card: who is on call now (and the backup) on the schedules the user can see."""
from django.utils import timezone

from aiops.access import access_for
from aiops.roles import Role

from . import selectors
from .models import Schedule

CARD_ROWS = 10


def dashboard_panel(request, organization) -> dict | None:
    if request is None or organization is None or not request.user.is_authenticated:
        return None
    if not access_for(request.user).has_role(organization.pk, Role.VIEWER):
        return None
    schedules = list(Schedule.objects.visible_to(request.user).for_org(organization)
                     .select_related("team").order_by("name", "pk")[:CARD_ROWS + 1])
    return {"oncall_rows": selectors.oncall_now(schedules[:CARD_ROWS], timezone.now()),
            "oncall_more": len(schedules) > CARD_ROWS}
