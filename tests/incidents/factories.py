import factory
from django.db.models import Max
from django.utils import timezone

from apps.incidents.models import CorrelationConfig, Incident, IncidentAlert, IncidentComment
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import OrganizationFactory


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    organization = factory.SubFactory(OrganizationFactory)
    number = factory.LazyAttribute(
        lambda o: (Incident.objects.filter(organization=o.organization).aggregate(n=Max("number"))["n"] or 0) + 1
    )
    title = factory.Sequence(lambda n: f"Incident {n}")
    title_is_auto = False
    severity = "critical"
    started_at = factory.LazyFunction(timezone.now)
    last_alert_at = factory.LazyAttribute(lambda i: i.started_at)


class IncidentAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentAlert

    organization = factory.SubFactory(OrganizationFactory)
    incident = factory.SubFactory(IncidentFactory, organization=factory.SelfAttribute("..organization"))
    alert = factory.SubFactory(AlertFactory, organization=factory.SelfAttribute("..organization"))
    strategy = "manual"
    is_auto = False


class IncidentCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentComment

    organization = factory.SubFactory(OrganizationFactory)
    incident = factory.SubFactory(IncidentFactory, organization=factory.SelfAttribute("..organization"))
    body = "Looking into it."


class CorrelationConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorrelationConfig
        django_get_or_create = ("organization",)

    organization = factory.SubFactory(OrganizationFactory)
