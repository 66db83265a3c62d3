import factory
from django.contrib.auth import get_user_model

from aiops.roles import Role
from apps.tenancy import services
from apps.tenancy.models import ApiToken, Membership, Organization, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.VIEWER


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token for a fresh member of the organisation (plaintext is not kept)."""

    class Meta:
        model = ApiToken

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"token {n}")

    @classmethod
    def _create(cls, model_class, organization, name, **kwargs):
        user = kwargs.get("user") or UserFactory()
        services.membership_set(organization=organization, user=user, role=Role.VIEWER)
        return services.api_token_create(user=user, organization=organization, name=name).token


def member(org, role: Role, *, username: str | None = None, teams=()):
    user = UserFactory(username=username) if username else UserFactory()
    services.membership_set(organization=org, user=user, role=role, teams=list(teams))
    return user
