import factory
from django.utils import timezone

from apps.sla.models import ComplianceReport, ItemEvent, SLABreach, SLAClock, SLADefinition, SLAReport, SLATimer
from tests.tenancy.factories import OrganizationFactory


class SLADefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLADefinition

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"SLA {n}")
    target_mtta_minutes = 5
    target_mttr_minutes = 30
    applies_to_severity = ["critical"]


class SLAClockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAClock

    organization = factory.SubFactory(OrganizationFactory)
    sla = factory.SubFactory(SLADefinitionFactory, organization=factory.SelfAttribute("..organization"))
    subject_kind = "alert"
    subject_id = factory.Sequence(lambda n: 100000 + n)
    target = "mtta"
    target_seconds = 300
    title = "HighErrorRate"
    started_at = factory.LazyFunction(timezone.now)


class SLATimerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLATimer

    organization = factory.SubFactory(OrganizationFactory)
    clock = factory.SubFactory(SLAClockFactory, organization=factory.SelfAttribute("..organization"))
    kind = "breach"
    due_at = factory.LazyFunction(timezone.now)


class ItemEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemEvent

    organization = factory.SubFactory(OrganizationFactory)
    event_id = factory.Sequence(lambda n: f"event-{n}")
    subject_kind = "alert"
    subject_id = factory.Sequence(lambda n: 200000 + n)
    kind = "opened"
    at = factory.LazyFunction(timezone.now)


class SLABreachFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLABreach

    organization = factory.SubFactory(OrganizationFactory)
    clock = factory.SubFactory(SLAClockFactory, organization=factory.SelfAttribute("..organization"))
    sla = factory.SelfAttribute("clock.sla")
    alert_id = factory.SelfAttribute("clock.subject_id")
    breach_type = "mtta"
    target_value = 5
    actual_value = 5
    breached_at = factory.LazyFunction(timezone.now)


class ComplianceReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComplianceReport

    organization = factory.SubFactory(OrganizationFactory)
    period_start = factory.Sequence(lambda n: timezone.now().replace(year=2000 + n % 50, month=1, day=1, hour=0,
                                                                     minute=0, second=0, microsecond=0))
    period_end = factory.LazyAttribute(lambda r: r.period_start.replace(month=2))
    generated_at = factory.LazyFunction(timezone.now)


class SLAReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAReport

    organization = factory.SubFactory(OrganizationFactory)
    report = factory.SubFactory(ComplianceReportFactory, organization=factory.SelfAttribute("..organization"))
    sla = factory.SubFactory(SLADefinitionFactory, organization=factory.SelfAttribute("..organization"))
    period_start = factory.SelfAttribute("report.period_start")
    period_end = factory.SelfAttribute("report.period_end")
