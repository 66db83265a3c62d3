import factory
from django.utils import timezone

from apps.notifications.models import (
    Escalation,
    EscalationLevel,
    EscalationPolicy,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    NotificationSubject,
    Snooze,
)
from tests.tenancy.factories import OrganizationFactory

SAME_ORG = factory.SelfAttribute("..organization")


class NotificationChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationChannel

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"channel {n}")
    kind = "webhook"
    config = factory.LazyFunction(lambda: {"url": "http://127.0.0.1:9/hook"})


class EscalationPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationPolicy

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"policy {n}")


class EscalationLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationLevel

    organization = factory.SubFactory(OrganizationFactory)
    policy = factory.SubFactory(EscalationPolicyFactory, organization=SAME_ORG)
    position = factory.Sequence(lambda n: n + 1)
    delay_minutes = 0

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if create:
            self.channels.set(extracted or [NotificationChannelFactory(organization=self.organization)])


class NotificationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationRule
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"rule {n}")
    trigger_on = factory.LazyFunction(lambda: ["alert_received"])

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if create and extracted:
            self.channels.set(extracted)


class NotificationSubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationSubject

    organization = factory.SubFactory(OrganizationFactory)
    key = factory.Sequence(lambda n: f"execution:{n}")
    kind = "execution"
    title = "Restart payment-api"


class NotificationDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationDelivery

    organization = factory.SubFactory(OrganizationFactory)
    channel = factory.SubFactory(NotificationChannelFactory, organization=SAME_ORG)
    event_name = "alert.received"
    kind = "new"
    title = "HighErrorRate on payment-api"
    status = "sent"


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Escalation

    organization = factory.SubFactory(OrganizationFactory)
    subject = factory.SubFactory(NotificationSubjectFactory, organization=SAME_ORG)
    policy_name = "On-call"
    started_at = factory.LazyFunction(timezone.now)
    snapshot = factory.LazyFunction(
        lambda: {"schedule": [{"level": 1, "repeat": 0, "offset": 0, "channels": []}]}
    )


class SnoozeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Snooze

    organization = factory.SubFactory(OrganizationFactory)
    alert_name_pattern = "Disk*"
    starts_at = factory.LazyFunction(timezone.now)
    until = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(hours=1))


def _slack_hook(organization):
    import hashlib
    import hmac
    import time
    from urllib.parse import urlencode

    from django.urls import reverse

    from aiops.testing.hooks import HookTarget

    secret = "fuzz-signing-secret"
    channel = NotificationChannelFactory(organization=organization, kind="slack",
                                         config={"bot_token": "xoxb-fuzz", "channel": "#ops", "signing_secret": secret})

    def headers(body: bytes) -> dict:
        stamp = str(int(time.time()))
        digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": f"v0={digest}"}

    return HookTarget(
        url=reverse("slack-interaction", args=[channel.pk]), headers=headers,
        encode=lambda text: urlencode({"payload": text}).encode(), content_type="application/x-www-form-urlencoded",
        valid_body={"type": "block_actions", "user": {"id": "U1", "username": "john"},
                    "actions": [{"action_id": "aiops_acknowledge", "value": "alert:1", "type": "button"}]},
    )


def _pagerduty_hook(organization):
    import hashlib
    import hmac

    from django.urls import reverse

    from aiops.testing.hooks import HookTarget

    secret = "fuzz-webhook-secret"
    channel = NotificationChannelFactory(organization=organization, kind="pagerduty",
                                         config={"routing_key": "R" * 32, "webhook_secret": secret})

    def headers(body: bytes) -> dict:
        return {"HTTP_X_PAGERDUTY_SIGNATURE": "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}

    return HookTarget(
        url=reverse("pagerduty-webhook", args=[channel.pk]), headers=headers,
        valid_body={"event": {"event_type": "incident.acknowledged", "agent": {"summary": "Jane"},
                              "data": {"incident_key": "aiops-alert-1"}}},
    )


# How the generic webhook fuzz test (tests/aiops/test_fuzz_webhooks.py) gets past each callback's signature.
HOOK_CASES = {"slack-interaction": _slack_hook, "pagerduty-webhook": _pagerduty_hook}
