"""Demo data for `make run`: the Payments team's schedule (weekly primary, business-hours
secondary, a holiday override), so the portal shows a real rotation. Idempotent."""
from datetime import time, timedelta

from django.utils import timezone

from . import services
from .choices import ShiftUnit
from .models import Schedule


def seed(organization, users) -> None:
    if Schedule.objects.for_org(organization).filter(name="Payments on-call").exists():
        return
    from apps.tenancy.models import Team

    team = Team.objects.filter(organization=organization, slug="payments").first()
    admin, oncall = users.get("admin"), users.get("oncall")
    people = [u.pk for u in (oncall, admin) if u is not None]
    if not people:
        return
    schedule = services.schedule_create(organization=organization, name="Payments on-call", team=team,
                                        time_zone="Europe/Berlin", lead=admin,
                                        description="Weekly primary, business-hours secondary.")
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    services.layer_create(schedule=schedule, name="Primary (weekly)", position=1, participants=people,
                          shift_unit=ShiftUnit.WEEKS, shift_length=1, start_date=monday,
                          handoff_time=time(9), handoff_weekday=0)
    services.layer_create(schedule=schedule, name="Business hours", position=2, participants=people[::-1],
                          shift_unit=ShiftUnit.DAYS, shift_length=1, start_date=monday, handoff_time=time(9),
                          restriction_weekdays=[0, 1, 2, 3, 4], restriction_start=time(9), restriction_end=time(17))
    if admin is not None:
        start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        services.override_create(schedule=schedule, user=admin, start=start, end=start + timedelta(hours=12),
                                 reason="Covering a public holiday", created_by=admin)
