import datetime as dt

import factory

from apps.oncall.models import CalendarFeed, ContactMethod, Layer, Override, QuietHours, Schedule
from apps.oncall.services import feed_token_hash
from tests.tenancy.factories import OrganizationFactory, member

SAME_ORG = factory.SelfAttribute("..organization")


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"schedule {n}")
    time_zone = "Europe/Berlin"


def _member(obj):
    from aiops.roles import Role

    return member(obj.organization, Role.OPERATOR)


class LayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Layer

    organization = factory.SubFactory(OrganizationFactory)
    schedule = factory.SubFactory(ScheduleFactory, organization=SAME_ORG)
    name = factory.Sequence(lambda n: f"layer {n}")
    start_date = dt.date(2026, 1, 5)
    participants = factory.LazyAttribute(lambda o: [_member(o).pk])


class OverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Override

    organization = factory.SubFactory(OrganizationFactory)
    schedule = factory.SubFactory(ScheduleFactory, organization=SAME_ORG)
    user = factory.LazyAttribute(_member)
    start = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    end = dt.datetime(2026, 3, 1, 17, tzinfo=dt.UTC)
    reason = "cover"


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    organization = factory.SubFactory(OrganizationFactory)
    schedule = factory.SubFactory(ScheduleFactory, organization=SAME_ORG)
    prefix = factory.Sequence(lambda n: f"feedprefix{n:02d}"[:12])
    token_hash = factory.LazyAttribute(lambda o: feed_token_hash(o.prefix + "x" * 20))


class ContactMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactMethod

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.LazyAttribute(_member)
    kind = "email"
    target = factory.Sequence(lambda n: f"person{n}@example.com")


class QuietHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuietHours

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.LazyAttribute(_member)
    start = dt.time(22)
    end = dt.time(7)
