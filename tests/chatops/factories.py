import factory

from apps.chatops.models import ChatIdentity, SlackWorkspace, TeamsWebhook
from tests.tenancy.factories import OrganizationFactory, UserFactory

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
