import factory

from apps.metrics import services
from apps.metrics.models import MetricSource
from tests.tenancy.factories import OrganizationFactory


class MetricSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MetricSource

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"prometheus {n}")
    url = "http://127.0.0.1:9"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.source_create(**kwargs)
