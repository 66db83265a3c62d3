"""Integrators see where a git-synced runbook version came from: the runbook-versions API carries
its commit (sha, author, message, path, date); a version saved in the portal has none."""
import pytest

from tests.gitsync.factories import VersionCommitFactory
from tests.runbooks.factories import RunbookVersionFactory

pytestmark = pytest.mark.django_db


def test_a_synced_version_carries_its_commit_and_a_portal_one_none(org_a, users_a, api_client_for,
                                                                     django_assert_max_num_queries):
    synced = VersionCommitFactory(organization=org_a, commit_sha="1" * 40, author="Ada <ada@example.com>",
                                  message="Tune the disk runbook", path="runbooks/disk.yaml")
    plain = RunbookVersionFactory(organization=org_a)
    client = api_client_for(users_a["viewer"], org_a)
    with django_assert_max_num_queries(12):  # the commit comes with the list, not a query per version
        rows = {r["id"]: r for r in client.get("/api/v1/runbook-versions/").json()["results"]}
    assert rows[synced.version_id]["commit"]["sha"] == "1" * 40
    assert rows[synced.version_id]["commit"]["author"] == "Ada <ada@example.com>"
    assert rows[synced.version_id]["commit"]["path"] == "runbooks/disk.yaml"
    assert rows[plain.pk]["commit"] is None
