import factory
from django.utils import timezone

from apps.alerts import ingest
from apps.alerts.models import Alert, AlertEvent, Integration, RawPayload
from tests.tenancy.factories import OrganizationFactory


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"alertmanager {n}")

    @classmethod
    def _create(cls, model_class, **kwargs):
        return ingest.integration_create(**kwargs)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    organization = factory.SubFactory(OrganizationFactory)
    integration = factory.SubFactory(IntegrationFactory, organization=factory.SelfAttribute("..organization"))
    fingerprint = factory.Sequence(lambda n: f"{n:016x}")
    starts_at = factory.LazyFunction(timezone.now)
    name = "HighErrorRate"
    severity = "critical"
    service = "payment-api"
    instance = "payment-api-1:8080"
    environment = "production"
    summary = "Error ratio 0.2 on payment-api"
    labels = factory.LazyAttribute(lambda a: {"alertname": a.name, "severity": a.severity, "service": a.service,
                                              "instance": a.instance, "env": a.environment})
    annotations = factory.LazyAttribute(lambda a: {"summary": a.summary})
    last_received_at = factory.LazyFunction(timezone.now)


class AlertEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertEvent

    organization = factory.SubFactory(OrganizationFactory)
    alert = factory.SubFactory(AlertFactory, organization=factory.SelfAttribute("..organization"))
    kind = "fired"
    source = "alertmanager"
    at = factory.LazyFunction(timezone.now)


class RawPayloadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RawPayload

    organization = factory.SubFactory(OrganizationFactory)
    integration = factory.SubFactory(IntegrationFactory, organization=factory.SelfAttribute("..organization"))
    received_at = factory.LazyFunction(timezone.now)
    body = factory.LazyFunction(lambda: {"version": "4", "alerts": []})


def _alert_hook(kind: str):
    def build(organization):
        from django.urls import reverse

        from aiops.testing.hooks import HookTarget

        integration = IntegrationFactory(organization=organization, kind=kind)
        name = "alertmanager-hook" if kind == "alertmanager" else "generic-alert-hook"
        body = {"version": "4", "groupKey": "{}:{alertname=\"Fuzz\"}", "status": "firing", "receiver": "aiops",
                "alerts": [{"status": "firing", "labels": {"alertname": "Fuzz", "severity": "warning"},
                            "annotations": {"summary": "fuzz"}, "startsAt": "2026-01-01T00:00:00Z",
                            "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "f00d"}]}
        return HookTarget(url=reverse(name, kwargs={"token": integration.token}),
                          valid_body=body if kind == "alertmanager" else None)

    return build


# How the generic webhook fuzz test (tests/aiops/test_fuzz_webhooks.py) gets past each hook's auth.
HOOK_CASES = {"alertmanager-hook": _alert_hook("alertmanager"), "generic-alert-hook": _alert_hook("generic")}
