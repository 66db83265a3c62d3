import factory

from apps.chatops.models import ChatIdentity, IncidentChannel, SlackChannel, SlackWorkspace, TeamsWebhook
from tests.incidents.factories import IncidentFactory
from tests.tenancy.factories import OrganizationFactory, TeamFactory, UserFactory

SAME_ORG = factory.SelfAttribute("..organization")
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAMS_SECRET = "c2VjcmV0LWZvci10ZWFtcy13ZWJob29rLTMyYnl0ZXMh"  # base64 of a 32-byte key


class SlackWorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlackWorkspace

    organization = factory.SubFactory(OrganizationFactory)
    team_id = factory.Sequence(lambda n: f"T{n:08d}")
    name = factory.Sequence(lambda n: f"workspace {n}")
    bot_token = "xoxb-test"
    signing_secret = SIGNING_SECRET


class TeamsWebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamsWebhook

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"teams {n}")
    secret = TEAMS_SECRET


class ChatIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatIdentity

    organization = factory.SubFactory(OrganizationFactory)
    workspace = factory.SubFactory(SlackWorkspaceFactory, organization=SAME_ORG)
    external_id = factory.Sequence(lambda n: f"U{n:08d}")
    user = factory.SubFactory(UserFactory)


class SlackChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlackChannel

    organization = factory.SubFactory(OrganizationFactory)
    workspace = factory.SubFactory(SlackWorkspaceFactory, organization=SAME_ORG)
    channel_id = factory.Sequence(lambda n: f"C{n:08d}")
    name = factory.Sequence(lambda n: f"#ops-{n}")
    team = factory.SubFactory(TeamFactory, organization=SAME_ORG)


class IncidentChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentChannel

    organization = factory.SubFactory(OrganizationFactory)
    incident = factory.SubFactory(IncidentFactory, organization=SAME_ORG)
    workspace = factory.SubFactory(SlackWorkspaceFactory, organization=SAME_ORG)
    channel_id = factory.Sequence(lambda n: f"C{n:08d}")
    name = factory.Sequence(lambda n: f"inc-{n}")


def _slack_hook(organization):
    import hashlib
    import hmac
    import time
    from urllib.parse import urlencode

    from django.urls import reverse

    from aiops.testing.hooks import HookTarget

    workspace = SlackWorkspaceFactory(organization=organization)

    def headers(body: bytes) -> dict:
        stamp = str(int(time.time()))
        digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": f"v0={digest}"}

    return HookTarget(
        url=reverse("chatops-slack"), headers=headers,
        encode=lambda text: urlencode({"payload": text}).encode(), content_type="application/x-www-form-urlencoded",
        valid_body={"type": "block_actions", "team": {"id": workspace.team_id}, "user": {"id": "U1", "username": "j"},
                    "response_url": "http://127.0.0.1:9/r",
                    "actions": [{"action_id": "aiops_acknowledge", "value": "alert:1", "type": "button"}]},
    )


def _teams_hook(organization):
    import base64
    import hashlib
    import hmac

    from django.urls import reverse

    from aiops.testing.hooks import HookTarget

    webhook = TeamsWebhookFactory(organization=organization)

    def headers(body: bytes) -> dict:
        digest = hmac.new(base64.b64decode(TEAMS_SECRET), body, hashlib.sha256).digest()
        return {"HTTP_AUTHORIZATION": "HMAC " + base64.b64encode(digest).decode()}

    return HookTarget(
        url=reverse("chatops-teams", args=[webhook.pk]), headers=headers,
        valid_body={"type": "message", "text": "<at>AIOps</at> incidents", "from": {"name": "Jane"}},
    )


# How the generic webhook fuzz test (tests/aiops/test_fuzz_webhooks.py) gets past each hook's signature.
HOOK_CASES = {"chatops-slack": _slack_hook, "chatops-teams": _teams_hook}
