import factory
from django.utils import timezone

from apps.changes import services
from apps.changes.models import ChangeCorrelation, ChangeEvent, ChangeSource, CorrelationSettings
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import OrganizationFactory


class ChangeSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeSource

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"change source {n}")
    kind = "generic"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.change_source_create(**kwargs)


class ChangeEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeEvent

    organization = factory.SubFactory(OrganizationFactory)
    event_type = "deployment"
    source = "github"
    service = "payment-api"
    environment = "production"
    version = factory.Sequence(lambda n: f"v2.{n}.0")
    description = "Deploy with new retry logic"
    author = "developer@example.com"
    started_at = factory.LazyFunction(timezone.now)
    status = "completed"
    external_id = factory.Sequence(lambda n: f"ext-{n}")


class ChangeCorrelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeCorrelation

    organization = factory.SubFactory(OrganizationFactory)
    change = factory.SubFactory(ChangeEventFactory, organization=factory.SelfAttribute("..organization"))
    alert = factory.SubFactory(AlertFactory, organization=factory.SelfAttribute("..organization"))
    confidence = 0.9
    factors = factory.LazyFunction(lambda: {"total": 0.9})
    time_delta_seconds = 900


class CorrelationSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorrelationSettings
        django_get_or_create = ("organization",)

    organization = factory.SubFactory(OrganizationFactory)


def _change_hook(organization):
    from django.urls import reverse

    from aiops.testing.hooks import HookTarget

    source = ChangeSourceFactory(organization=organization, kind="generic")
    body = {"event_type": "deployment", "service": "payment-service", "environment": "production",
            "version": "v2.3.1", "timestamp": "2026-01-01T10:30:00Z", "status": "completed",
            "duration_seconds": 30, "metadata": {"pr_number": 456}}
    return HookTarget(url=reverse("changes-hook", kwargs={"token": source.token}), valid_body=body)


# How the generic webhook fuzz test (tests/aiops/test_fuzz_webhooks.py) gets past the hook's auth.
HOOK_CASES = {"changes-hook": _change_hook}
