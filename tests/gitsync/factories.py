"""Factories for every gitsync model; related rows are created in the same organisation."""

import factory
from django.utils import timezone

from apps.gitsync.choices import SyncStatus, Trigger, WebhookProvider
from apps.gitsync.models import ManagedRunbook, PushDelivery, Repository, SyncRun, VersionCommit
from tests.runbooks.factories import RunbookFactory, RunbookVersionFactory
from tests.tenancy.factories import OrganizationFactory


class RepositoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repository

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"runbooks-{n}")
    url = factory.Sequence(lambda n: f"file:///srv/git/runbooks-{n}.git")
    branch = "main"


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    organization = factory.SubFactory(OrganizationFactory)
    repository = factory.SubFactory(RepositoryFactory, organization=factory.SelfAttribute("..organization"))
    trigger = Trigger.MANUAL
    status = SyncStatus.SUCCEEDED
    commit_sha = "a" * 40
    started_at = factory.LazyFunction(timezone.now)


class ManagedRunbookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManagedRunbook

    organization = factory.SubFactory(OrganizationFactory)
    repository = factory.SubFactory(RepositoryFactory, organization=factory.SelfAttribute("..organization"))
    runbook = factory.SubFactory(RunbookFactory, organization=factory.SelfAttribute("..organization"))
    path = factory.Sequence(lambda n: f"runbooks/r{n}.yaml")
    blob_sha = "b" * 40
    checksum = "c" * 64
    commit_sha = "a" * 40


class PushDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PushDelivery

    organization = factory.SubFactory(OrganizationFactory)
    repository = factory.SubFactory(RepositoryFactory, organization=factory.SelfAttribute("..organization"))
    delivery_id = factory.Sequence(lambda n: f"delivery-{n}")
    provider = WebhookProvider.GITHUB


class VersionCommitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VersionCommit

    organization = factory.SubFactory(OrganizationFactory)
    repository = factory.SubFactory(RepositoryFactory, organization=factory.SelfAttribute("..organization"))
    version = factory.SubFactory(RunbookVersionFactory, organization=factory.SelfAttribute("..organization"))
    path = factory.Sequence(lambda n: f"runbooks/r{n}.yaml")
    commit_sha = "a" * 40
    author = "Ada Ops <ada@example.com>"
    message = "Add a runbook"
    committed_at = factory.LazyFunction(timezone.now)


FUZZ_SECRET = "fuzz-webhook-s3cret"


def _push_hook(organization):
    import hashlib
    import hmac
    import uuid

    from django.urls import reverse

    from aiops.testing.hooks import HookTarget
    from apps.gitsync.services import repository_rotate_webhook_token

    repository = RepositoryFactory(organization=organization, webhook_provider=WebhookProvider.GITHUB,
                                   webhook_secret=FUZZ_SECRET)
    repository_rotate_webhook_token(repository=repository)  # the URL token, as saving through the service sets it

    def headers(body: bytes) -> dict:
        digest = hmac.new(FUZZ_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return {"HTTP_X_HUB_SIGNATURE_256": f"sha256={digest}", "HTTP_X_GITHUB_EVENT": "push",
                "HTTP_X_GITHUB_DELIVERY": str(uuid.uuid4())}

    return HookTarget(url=reverse("gitsync-hook", kwargs={"token": repository.webhook_token}), headers=headers,
                      valid_body={"ref": "refs/heads/main", "after": "0" * 40,
                                  "repository": {"full_name": "acme/runbooks"}})


# How the generic webhook fuzz test (tests/aiops/test_fuzz_webhooks.py) gets past the push hook's signature.
HOOK_CASES = {"gitsync-hook": _push_hook}
