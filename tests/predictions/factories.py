import factory
from django.utils import timezone

from apps.predictions.models import AnomalyDetection, ForecastTarget, MetricForecast, PredictionTask, PredictiveRule
from tests.alerts.factories import AlertFactory
from tests.metrics.factories import MetricSourceFactory
from tests.tenancy.factories import OrganizationFactory


class ForecastTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForecastTarget

    organization = factory.SubFactory(OrganizationFactory)
    source = factory.SubFactory(MetricSourceFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"target {n}")
    query = "disk_used_percent"


class MetricForecastFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricForecast

    organization = factory.SubFactory(OrganizationFactory)
    target = factory.SubFactory(ForecastTargetFactory, organization=factory.SelfAttribute("..organization"))
    series_hash = factory.Sequence(lambda n: f"{n:016x}")
    metric_name = "disk_used_percent"
    labels = factory.LazyFunction(lambda: {"instance": "web-1"})
    forecast_time = factory.LazyFunction(timezone.now)
    model_type = "linear"


class PredictiveRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PredictiveRule

    organization = factory.SubFactory(OrganizationFactory)
    target = factory.SubFactory(ForecastTargetFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"rule {n}")
    threshold = 90.0


class AnomalyDetectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnomalyDetection

    organization = factory.SubFactory(OrganizationFactory)
    target = factory.SubFactory(ForecastTargetFactory, organization=factory.SelfAttribute("..organization"))
    metric_name = "cpu"
    detected_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)
    anomaly_type = "spike"
    severity = "high"
    expected_value = 20.0
    actual_value = 80.0
    deviation_percent = 300.0


class PredictionTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PredictionTask

    organization = factory.SubFactory(OrganizationFactory)
    alert = factory.SubFactory(AlertFactory, organization=factory.SelfAttribute("..organization"))
    title = "Clean up the disk"
