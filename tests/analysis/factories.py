import factory
from django.utils import timezone

from apps.analysis.models import Analysis, AnalysisPolicy, LLMCall, LLMProvider
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import OrganizationFactory


class LLMProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LLMProvider

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"provider {n}")
    kind = "openai"
    model = "gpt-4o-mini"
    base_url = "http://127.0.0.1:9/v1"  # discard port: nothing answers unless a test points it at a stub
    api_key = "sk-test-key"
    timeout_seconds = 2.0
    max_retries = 1


class AnalysisPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnalysisPolicy
        django_get_or_create = ("organization",)

    organization = factory.SubFactory(OrganizationFactory)


class AnalysisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Analysis

    organization = factory.SubFactory(OrganizationFactory)
    alert = factory.SubFactory(AlertFactory, organization=factory.SelfAttribute("..organization"))
    subject_type = "alert"
    status = "ok"
    trigger = "auto"
    provider_kind = "builtin"
    model_name = "knowledge-base"
    root_cause = "A deploy of payment-api broke the database connection string."
    impact = "Payments fail for a share of customers."
    remediation = factory.LazyFunction(lambda: [{"step": "Roll back payment-api."}])
    prevention = factory.LazyFunction(lambda: ["Canary deploys."])
    confidence = 0.6
    finished_at = factory.LazyFunction(timezone.now)


class LLMCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LLMCall

    organization = factory.SubFactory(OrganizationFactory)
    provider = factory.SubFactory(LLMProviderFactory, organization=factory.SelfAttribute("..organization"))
    purpose = "analysis"
    status = "ok"
    model_name = "gpt-4o-mini"
    started_at = factory.LazyFunction(timezone.now)
    http_status = 200
    attempts = 1
    prompt_tokens = 800
    completion_tokens = 200
    latency_ms = 900
