import factory
from django.utils import timezone

from apps.logs import services
from apps.logs.models import AlertLogContext, LogQuery, LogSource
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import OrganizationFactory


class LogSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LogSource

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"loki {n}")
    kind = "loki"
    url = "http://127.0.0.1:9"
    config = factory.LazyFunction(lambda: {"token": "s3cret-token"})

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.source_create(**kwargs)


class LogQueryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LogQuery

    organization = factory.SubFactory(OrganizationFactory)
    source = factory.SubFactory(LogSourceFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"query {n}")


class AlertLogContextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertLogContext

    organization = factory.SubFactory(OrganizationFactory)
    alert = factory.SubFactory(AlertFactory, organization=factory.SelfAttribute("..organization"))
    source = factory.SubFactory(LogSourceFactory, organization=factory.SelfAttribute("..organization"))
    status = "ok"
    entries = 3
    level_counts = factory.LazyFunction(lambda: {"error": 2, "warning": 1})
    patterns = factory.LazyFunction(lambda: [{"template": "OutOfMemoryError: Java heap space", "count": 2,
                                              "level": "error", "samples": ["ERROR OutOfMemoryError"], "new": True}])
    queried_at = factory.LazyFunction(timezone.now)
    window_start = factory.LazyFunction(timezone.now)
    window_end = factory.LazyFunction(timezone.now)
