"""Domain events of a sync, written with it: runbook created / updated / deactivated, sync
succeeded / failed; the timeline's sentences for them; and the failure e-mail notifications send
through the event (a real SMTP server on loopback), once per run of failures."""

from __future__ import annotations

import pytest

from aiops.models import Event
from apps.gitsync.choices import ApplyMode, SyncStatus
from apps.timeline.models import TimelineEntry
from tests.notifications.factories import NotificationChannelFactory

from .conftest import runbook_yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed_sync(sync, django_capture_on_commit_callbacks):
    """A sync whose on-commit fan-out (timeline, notifications) runs, as after a real commit."""

    def run(repository, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return sync(repository, **kwargs)

    return run


def names(since: frozenset = frozenset()) -> list[str]:
    return list(Event.objects.filter(name__startswith="gitsync.").exclude(pk__in=since).order_by("created_at")
                .values_list("name", flat=True))


def last_pk() -> frozenset:
    return frozenset(Event.objects.values_list("pk", flat=True))


def test_a_sync_publishes_what_it_changed_and_the_timeline_says_so(git_repo, make_repository, committed_sync):
    sha = git_repo.commit("Add two runbooks", {"a.yaml": runbook_yaml("Alpha"), "b.yaml": runbook_yaml("Beta")})
    repository = make_repository(git_repo.url, name="ops-runbooks")
    run = committed_sync(repository)
    assert run.status == SyncStatus.SUCCEEDED
    assert sorted(names()) == ["gitsync.runbook_created", "gitsync.runbook_created", "gitsync.sync_succeeded"]
    summary = Event.objects.get(name="gitsync.sync_succeeded").payload
    assert summary["data"]["commit_sha"] == sha and summary["data"]["created"] == 2
    assert summary["data"]["sync_run_id"] == run.pk
    assert summary["subject"] == {"type": "gitsync.repository", "id": repository.pk}
    entry = TimelineEntry.objects.get(kind="gitsync.sync_succeeded")
    assert entry.summary == "Runbooks synced from ops-runbooks: 2 created, 0 updated, 0 deactivated"
    assert f"Commit: {sha[:12]}" in entry.details and "Ada Ops" in entry.details and "Add two runbooks" in entry.details
    created = TimelineEntry.objects.filter(kind="gitsync.runbook_created").order_by("summary")
    assert [e.summary for e in created] == ["Runbook “Alpha” created from a.yaml", "Runbook “Beta” created from b.yaml"]

    mark = last_pk()
    assert committed_sync(repository).status == SyncStatus.NO_CHANGE
    assert names(mark) == []  # an unchanged head every few minutes is not news

    git_repo.commit("Change alpha, drop beta", {"a.yaml": runbook_yaml("Alpha", command="echo v2")}, remove=["b.yaml"])
    committed_sync(repository)
    assert sorted(names(mark)) == ["gitsync.runbook_deactivated", "gitsync.runbook_updated", "gitsync.sync_succeeded"]
    updated = TimelineEntry.objects.get(kind="gitsync.runbook_updated")
    assert updated.summary == "Runbook “Alpha” updated from a.yaml" and "Version 2" in updated.details
    gone = TimelineEntry.objects.get(kind="gitsync.runbook_deactivated")
    assert gone.summary == "Runbook “Beta” deactivated: b.yaml was removed"


def test_a_rejected_commit_publishes_no_runbook_events(git_repo, make_repository, committed_sync):
    git_repo.commit("one good, one bad", {"a.yaml": runbook_yaml("Alpha"), "bad.yaml": "name: [unclosed\n"})
    repository = make_repository(git_repo.url, apply_mode=ApplyMode.ALL_OR_NOTHING)
    run = committed_sync(repository)
    assert run.status == SyncStatus.REJECTED
    assert names() == ["gitsync.sync_failed"]
    failed = Event.objects.get(name="gitsync.sync_failed").payload
    assert failed["data"]["invalid"] == 1 and failed["data"]["status"] == SyncStatus.REJECTED
    entry = TimelineEntry.objects.get(kind="gitsync.sync_failed")
    assert entry.summary.startswith("Runbook sync of ") and entry.summary.endswith(" failed")
    assert "1 invalid files" in entry.details


def test_failing_syncs_are_e_mailed_once_per_run_of_failures(git_repo, make_repository, committed_sync, org_a,
                                                             smtp_server):
    NotificationChannelFactory(organization=org_a, kind="email", name="git failures", config={
        "smtp_host": smtp_server.host, "smtp_port": smtp_server.port, "security": "none",
        "from_address": "aiops@example.com", "to_addresses": "runbooks@example.com"})
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(git_repo.url, name="ops-runbooks", branch="release", failure_channel="git failures")
    run = committed_sync(repository)
    assert run.status == SyncStatus.FAILED and "does not exist" in run.error
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["runbooks@example.com"]
    body = mail.message.get_body(("plain",)).get_content()
    assert "ops-runbooks" in body and "does not exist" in body
    assert committed_sync(repository).status == SyncStatus.FAILED  # still broken: the event, no second e-mail
    assert names().count("gitsync.sync_failed") == 2
    git_repo.commit("release", branch="release")
    assert committed_sync(repository).status == SyncStatus.SUCCEEDED
    repository.branch = "gone"
    repository.save(update_fields=["branch"])
    assert committed_sync(repository).status == SyncStatus.FAILED  # a new run of failures: told again
    smtp_server.wait_for(2)
    assert len(smtp_server.messages) == 2


def test_each_runbook_version_shows_its_commit_in_the_portal(git_repo, make_repository, sync, users_a):
    from django.test import Client

    from apps.gitsync.models import VersionCommit
    from apps.runbooks.models import Runbook

    first = git_repo.commit("Add alpha\n\nWhy: the on-call asked.", {"a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(git_repo.url)
    sync(repository)
    second = git_repo.commit("Alpha: say v2", {"a.yaml": runbook_yaml("Alpha", command="echo v2")})
    run = sync(repository)
    git_repo.rename("a.yaml", "ops/alpha.yaml", "Move alpha")
    sync(repository)  # a rename with the same definition: no new version, no second commit row for v2
    alpha = Runbook.objects.get(slug="alpha")
    rows = {c.version.number: c for c in VersionCommit.objects.filter(version__runbook=alpha)}
    assert sorted(rows) == [1, 2]
    assert rows[1].commit_sha == first and rows[1].message == "Add alpha\n\nWhy: the on-call asked."
    assert rows[2].commit_sha == second and rows[2].author == "Ada Ops <ada@example.com>"
    assert rows[2].committed_at == run.committed_at is not None
    client = Client()
    client.force_login(users_a["viewer"])
    page = client.get(f"/runbooks/{alpha.pk}/").content.decode()
    assert f'<code title="{second}">{second[:12]}</code>' in page and f'<code title="{first}">' in page
    assert "Alpha: say v2" in page and "Add alpha" in page and "Ada Ops &lt;ada@example.com&gt;, committed" in page
