import datetime as dt

import pytest

from apps.oncall import services
from apps.oncall.choices import ShiftUnit
from tests.tenancy.factories import TeamFactory

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def team_a(org_a, users_a):
    from apps.tenancy import services as tenancy

    team = TeamFactory(organization=org_a, name="Payments", slug="payments")
    for user in users_a.values():
        tenancy.membership_set(organization=org_a, user=user, role=_role(org_a, user), teams=[team])
    return team


def _role(org, user):
    from apps.tenancy.models import Membership

    return Membership.objects.get(organization=org, user=user).role


@pytest.fixture
def payments(org_a, users_a, team_a):
    """The issue's real rotation: weekly primary (Mon 09:00), business-hours secondary on top."""
    schedule = services.schedule_create(organization=org_a, name="Payments", time_zone="Europe/Berlin",
                                        team=team_a, lead=users_a["owner"])
    services.layer_create(schedule=schedule, name="Primary", position=1, shift_unit=ShiftUnit.WEEKS, shift_length=1,
                          start_date=MONDAY, handoff_time=dt.time(9), handoff_weekday=0,
                          participants=[users_a["operator"].pk, users_a["admin"].pk])
    services.layer_create(schedule=schedule, name="Business hours", position=2, shift_unit=ShiftUnit.DAYS,
                          shift_length=1, start_date=MONDAY, handoff_time=dt.time(9),
                          participants=[users_a["viewer"].pk], restriction_weekdays=[0, 1, 2, 3, 4],
                          restriction_start=dt.time(9), restriction_end=dt.time(17))
    return schedule


def berlin(*args):
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))
