"""Raw payload retention and the periodic-task registry."""
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from aiops import schedules
from apps.alerts import services
from apps.alerts.models import RawPayload
from tests.alerts.factories import RawPayloadFactory


@pytest.mark.django_db
def test_raw_payloads_past_retention_are_pruned(org_a, settings):
    settings.ALERTS_RAW_PAYLOAD_RETENTION_DAYS = 7
    now = timezone.now()
    old = [RawPayloadFactory(organization=org_a, received_at=now - timedelta(days=8)) for _ in range(3)]
    fresh = RawPayloadFactory(organization=org_a, received_at=now - timedelta(days=6))
    assert services.raw_payloads_prune(now=now, batch=2) == 3
    assert list(RawPayload.objects.all()) == [fresh]
    assert not RawPayload.objects.filter(pk__in=[p.pk for p in old]).exists()


@pytest.mark.django_db
def test_registered_schedules_become_beat_rows_and_keep_operator_edits():
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    names = {s.name for s in schedules.registered()}
    assert "alerts: prune raw payloads" in names
    call_command("migrate", verbosity=0)  # post_migrate creates the rows
    task = PeriodicTask.objects.get(name="alerts: prune raw payloads")
    assert task.task == "alerts.prune_raw_payloads"
    task.interval = IntervalSchedule.objects.create(every=7200, period=IntervalSchedule.SECONDS)
    task.save()
    call_command("migrate", verbosity=0)
    assert PeriodicTask.objects.get(name="alerts: prune raw payloads").interval.every == 7200
