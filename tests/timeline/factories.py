import uuid

import factory
from django.utils import timezone

from apps.timeline.models import TimelineEntry
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import OrganizationFactory


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    """An entry about a real alert of the same organisation (tests that need the event path publish)."""

    class Meta:
        model = TimelineEntry

    organization = factory.SubFactory(OrganizationFactory)
    event_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    kind = "alert.received"
    occurred_at = factory.LazyFunction(timezone.now)
    alert_id = factory.LazyAttribute(lambda o: AlertFactory(organization=o.organization).pk)
    subject_type = "alerts.alert"
    subject_id = factory.SelfAttribute("alert_id")
    summary = "Alert fired: HighErrorRate"
    actor_label = "Alertmanager"
