"""Factories for every runbooks model; related rows are created in the same organisation."""

import factory
from django.utils import timezone

from apps.runbooks import services
from apps.runbooks.models import (
    ExecutionEvent,
    Runbook,
    RunbookExecution,
    RunbookVersion,
    SshTarget,
    StepResult,
    TriggerWait,
)
from apps.runbooks.schema import validate
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import OrganizationFactory


def simple_definition(name: str, **overrides) -> dict:
    document = {
        "name": name,
        "description": "Say hello on the host",
        "category": "test",
        "tags": ["demo"],
        "execution": {"mode": "manual"},
        "triggers": [{"alert_pattern": "HighErrorRate", "severity": ["critical"]}],
        "steps": [{"name": "Hello", "type": "command", "command_linux": "echo hello {{service}}"}],
    }
    document.update(overrides)
    return validate(document)


class SshTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SshTarget

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"host-{n}")
    host = factory.Sequence(lambda n: f"10.0.0.{n % 250 + 1}")
    port = 22
    username = "deploy"
    password = "not-a-real-password"


class RunbookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Runbook

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Runbook {n}")

    @classmethod
    def _create(cls, model_class, organization, name, definition=None, team=None, **kwargs):
        definition = definition or simple_definition(name)
        return services.runbook_save_definition(
            organization=organization, definition=definition, team=team
        ).runbook


class RunbookVersionFactory(factory.django.DjangoModelFactory):
    """The first version of a fresh runbook (versions are only ever written by the service)."""

    class Meta:
        model = RunbookVersion

    organization = factory.SubFactory(OrganizationFactory)

    @classmethod
    def _create(cls, model_class, organization, **kwargs):
        return RunbookFactory(organization=organization).versions.get()


class RunbookExecutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RunbookExecution

    organization = factory.SubFactory(OrganizationFactory)
    runbook = factory.SubFactory(RunbookFactory, organization=factory.SelfAttribute("..organization"))
    runbook_name = factory.LazyAttribute(lambda e: e.runbook.name)
    runbook_version = factory.LazyAttribute(lambda e: e.runbook.version)
    definition = factory.LazyAttribute(lambda e: e.runbook.definition)
    trigger = "manual"
    status = "succeeded"
    reason = "factory"


class StepResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StepResult

    organization = factory.SubFactory(OrganizationFactory)
    execution = factory.SubFactory(
        RunbookExecutionFactory, organization=factory.SelfAttribute("..organization")
    )
    position = 0
    name = "Hello"
    step_type = "command"
    status = "succeeded"
    rendered = "echo hello"
    exit_code = 0
    started_at = factory.LazyFunction(timezone.now)


class ExecutionEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExecutionEvent

    organization = factory.SubFactory(OrganizationFactory)
    execution = factory.SubFactory(
        RunbookExecutionFactory, organization=factory.SelfAttribute("..organization")
    )
    kind = "requested"
    at = factory.LazyFunction(timezone.now)


class TriggerWaitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TriggerWait

    organization = factory.SubFactory(OrganizationFactory)
    runbook = factory.SubFactory(RunbookFactory, organization=factory.SelfAttribute("..organization"))
    alert = factory.SubFactory(AlertFactory, organization=factory.SelfAttribute("..organization"))
    due_at = factory.LazyFunction(timezone.now)
