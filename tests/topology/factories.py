import factory

from apps.topology.models import Dependency, Service
from tests.tenancy.factories import OrganizationFactory


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("organization", "name", "environment")

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"service-{n}")
    environment = "production"
    type = "api"


class DependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dependency

    organization = factory.SubFactory(OrganizationFactory)
    source = factory.SubFactory(ServiceFactory, organization=factory.SelfAttribute("..organization"))
    target = factory.SubFactory(ServiceFactory, organization=factory.SelfAttribute("..organization"))
    kind = "sync"
