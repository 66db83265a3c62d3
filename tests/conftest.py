"""Shared fixtures: two organisations and a member of each role in each."""
import pytest

from aiops.roles import Role
from tests.tenancy.factories import OrganizationFactory, member

pytest_plugins = [
    "tests.support.alertmanager",
    "tests.support.sshd",
    "tests.support.smtp",
    "tests.support.http_stub",
    "tests.support.browser",
    "tests.support.worker",
    "tests.support.redis_server",
    "tests.support.chaos",
]


@pytest.fixture
def org_a(db):
    return OrganizationFactory(name="Org A", slug="org-a")


@pytest.fixture
def org_b(db):
    return OrganizationFactory(name="Org B", slug="org-b")


@pytest.fixture
def users_a(org_a):
    """One user per role in org A, keyed by role name ('viewer', 'operator', 'admin', 'owner')."""
    return {role.name.lower(): member(org_a, role, username=f"a-{role.name.lower()}") for role in Role}


@pytest.fixture
def users_b(org_b):
    return {role.name.lower(): member(org_b, role, username=f"b-{role.name.lower()}") for role in Role}


@pytest.fixture
def api_client_for():
    """`api_client_for(user, org)`: a DRF client logged in as user, acting in org."""
    from rest_framework.test import APIClient

    def make(user, org=None):
        client = APIClient()
        client.force_authenticate(user)
        if org is not None:
            client.credentials(HTTP_X_ORGANIZATION=org.slug)
        return client

    return make


@pytest.fixture
def dispatched_events(monkeypatch):
    """Every event the bus dispatches after commit, in order, observed at its one dispatch point
    (`events.dispatch_many`); the subscribers still run."""
    from aiops import events

    seen = []
    original = events.dispatch_many

    def observe(batch):
        seen.extend(batch)
        original(batch)

    monkeypatch.setattr(events, "dispatch_many", observe)
    return seen

