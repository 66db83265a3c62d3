"""The demo seeder gives the demo's Payments team a schedule with someone on call, once."""
import pytest
from django.utils import timezone

from apps.oncall import demo, selectors
from apps.oncall.models import Schedule
from tests.tenancy.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_demo_schedule_is_seeded_once_and_covers_now(org_a, users_a):
    team = TeamFactory(organization=org_a, slug="payments")
    users = {"admin": users_a["owner"], "oncall": users_a["operator"]}
    demo.seed(org_a, users)
    demo.seed(org_a, users)
    schedule = Schedule.objects.get(organization=org_a)
    assert schedule.team == team and schedule.layers.count() == 2 and schedule.overrides.count() == 1
    assert selectors.oncall_at(schedule, timezone.now())
    assert not selectors.coverage_gaps(schedule)
