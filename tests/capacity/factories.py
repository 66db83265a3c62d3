import factory
from django.utils import timezone

from apps.capacity.models import CapacityMetric, CapacityReport, CapacityThreshold, ResourceQuery
from tests.metrics.factories import MetricSourceFactory
from tests.tenancy.factories import OrganizationFactory


class ResourceQueryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceQuery

    organization = factory.SubFactory(OrganizationFactory)
    source = factory.SubFactory(MetricSourceFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"disk {n}")
    kind = "disk"
    usage_query = "disk_used_percent"
    capacity_query = "100"
    unit = "percent"


class CapacityMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityMetric

    organization = factory.SubFactory(OrganizationFactory)
    query = factory.SubFactory(ResourceQueryFactory, organization=factory.SelfAttribute("..organization"))
    series_hash = factory.Sequence(lambda n: f"{n:016x}")
    resource_type = "disk"
    resource_name = factory.Sequence(lambda n: f"web-{n}")
    current_usage = 50.0
    current_capacity = 100.0
    usage_percent = 50.0
    last_updated = factory.LazyFunction(timezone.now)


class CapacityThresholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityThreshold

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"threshold {n}")


class CapacityReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityReport

    organization = factory.SubFactory(OrganizationFactory)
    report_type = "on_demand"
    generated_at = factory.LazyFunction(timezone.now)
    period_start = factory.LazyFunction(lambda: timezone.now().date())


class ThresholdStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "capacity.ThresholdState"

    threshold = factory.SubFactory(CapacityThresholdFactory)
    metric = factory.SubFactory(CapacityMetricFactory,
                                organization=factory.SelfAttribute("..threshold.organization"))
