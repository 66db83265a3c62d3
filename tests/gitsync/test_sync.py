"""The sync against real git repositories over file://: create, update, unchanged, rename, delete,
invalid files with line numbers, all-or-nothing, pinned commits (rollback), tags, force-push, locks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.gitsync.choices import ApplyMode, FileOutcome, SyncStatus, Trigger
from apps.gitsync.models import ManagedRunbook, Repository
from apps.gitsync.sync import Locked, repository_sync
from apps.runbooks.choices import VersionSource
from apps.runbooks.models import Runbook
from apps.runbooks.schema import InvalidDefinition
from apps.runbooks.services import runbook_import_yaml, runbook_restore_version

from .conftest import runbook_yaml

pytestmark = pytest.mark.django_db


def outcomes(run) -> dict[str, str]:
    return {f["path"]: f["outcome"] for f in run.files}


def test_first_sync_creates_a_version_per_runbook_with_the_commit(git_repo, make_repository, sync, org_a):
    sha = git_repo.commit("Add two runbooks", {
        "runbooks/restart.yaml": runbook_yaml("Restart web"),
        "runbooks/disk.yml": runbook_yaml("Free disk"),
        "README.md": "not a runbook",
    })
    repository = make_repository(git_repo.url)
    run = sync(repository)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.commit_sha == sha and run.commit_author == "Ada Ops <ada@example.com>"
    assert run.commit_message == "Add two runbooks"
    assert (run.created_count, run.updated_count, run.unchanged_count, run.error_count) == (2, 0, 0, 0)
    assert outcomes(run) == {"runbooks/restart.yaml": "created", "runbooks/disk.yml": "created"}
    runbook = Runbook.objects.get(organization=org_a, slug="restart-web")
    version = runbook.versions.get()
    assert version.source == VersionSource.GIT
    assert sha[:12] in version.note and "runbooks/restart.yaml" in version.note and "Add two runbooks" in version.note
    assert runbook.source_path == "runbooks/restart.yaml"
    assert repository.last_synced_sha == sha and repository.last_sync_status == SyncStatus.SUCCEEDED
    assert repository.next_sync_at > timezone.now()


def test_unchanged_head_is_a_cheap_no_change_run(git_repo, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(git_repo.url)
    sync(repository)
    again = sync(repository, trigger=Trigger.SCHEDULE)
    assert again.status == SyncStatus.NO_CHANGE and again.files == []
    assert again.unchanged_count == 1 and again.commit_author == "Ada Ops <ada@example.com>"
    assert Runbook.objects.get(slug="alpha").version == 1


def test_changed_file_is_a_new_version_and_the_others_are_not_read(git_repo, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha"), "b.yaml": runbook_yaml("Beta")})
    repository = make_repository(git_repo.url)
    sync(repository)
    sha = git_repo.commit("Beta says bye", {"b.yaml": runbook_yaml("Beta", command="echo bye")})
    run = sync(repository)
    assert outcomes(run) == {"a.yaml": "unchanged", "b.yaml": "updated"}
    beta = Runbook.objects.get(slug="beta")
    assert beta.version == 2 and beta.steps[0]["command_linux"] == "echo bye"
    assert beta.versions.first().note.startswith(f"git {sha[:12]} b.yaml")
    # Whitespace-only edits change the blob but not the definition: no new version.
    git_repo.commit("reformat", {"b.yaml": runbook_yaml("Beta", command="echo bye") + "\n\n"})
    assert outcomes(sync(repository))["b.yaml"] == "unchanged"
    assert Runbook.objects.get(slug="beta").version == 2


def test_invalid_file_is_reported_with_its_line_and_the_rest_applied(git_repo, make_repository, sync):
    bad = runbook_yaml("Broken").replace("command_linux: echo hello", "timeout_seconds: soon\n    command_linux: x")
    git_repo.commit("mixed", {"good.yaml": runbook_yaml("Good"), "bad.yaml": bad, "worse.yaml": "name: [unclosed\n"})
    repository = make_repository(git_repo.url)
    run = sync(repository)
    assert run.status == SyncStatus.PARTIAL and run.error_count == 2 and run.created_count == 1
    files = {f["path"]: f for f in run.files}
    assert files["bad.yaml"]["outcome"] == FileOutcome.INVALID
    assert any(e.startswith("line 12: steps[0].timeout_seconds") for e in files["bad.yaml"]["errors"]), files
    assert files["worse.yaml"]["errors"][0].startswith("line ")
    assert Runbook.objects.filter(slug="good").exists() and not Runbook.objects.filter(slug="broken").exists()
    assert run.files[0]["outcome"] == FileOutcome.INVALID  # errors listed first


def test_all_or_nothing_rejects_the_whole_commit(git_repo, make_repository, sync):
    git_repo.commit("one", {"good.yaml": runbook_yaml("Good")})
    repository = make_repository(git_repo.url, apply_mode=ApplyMode.ALL_OR_NOTHING)
    sync(repository)
    git_repo.commit("two", {"good.yaml": runbook_yaml("Good", command="echo v2"), "bad.yaml": "steps: 3\n"})
    run = sync(repository)
    assert run.status == SyncStatus.REJECTED and "all or nothing" in run.error
    assert Runbook.objects.get(slug="good").version == 1
    assert repository.last_synced_sha != run.commit_sha  # the rejected commit is retried, not marked synced


def test_deleted_file_deactivates_its_runbook_and_keeps_history(git_repo, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha"), "b.yaml": runbook_yaml("Beta")})
    repository = make_repository(git_repo.url)
    sync(repository)
    git_repo.commit("drop beta", remove=["b.yaml"])
    run = sync(repository)
    assert outcomes(run) == {"a.yaml": "unchanged", "b.yaml": "deactivated"} and run.deleted_count == 1
    beta = Runbook.objects.get(slug="beta")
    assert not beta.enabled and beta.version == 2 and beta.versions.count() == 2
    assert not ManagedRunbook.objects.get(runbook=beta).active
    # Bringing the file back re-enables the same runbook.
    git_repo.commit("beta is back", {"b.yaml": runbook_yaml("Beta")})
    assert outcomes(sync(repository))["b.yaml"] == "updated"
    beta.refresh_from_db()
    assert beta.enabled and beta.version == 3 and ManagedRunbook.objects.get(runbook=beta).active


def test_rename_is_a_rename_not_a_delete_and_create(git_repo, make_repository, sync):
    git_repo.commit("one", {"old/a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(git_repo.url)
    sync(repository)
    alpha = Runbook.objects.get(slug="alpha")
    git_repo.rename("old/a.yaml", "new/alpha.yaml", "move alpha")
    run = sync(repository)
    assert run.files == [{"path": "new/alpha.yaml", "outcome": "renamed", "renamed_from": "old/a.yaml",
                          "runbook": alpha.pk, "slug": "alpha", "version": 1}]
    assert run.deleted_count == 0
    row = ManagedRunbook.objects.get(runbook=alpha)
    assert row.path == "new/alpha.yaml" and row.active
    alpha.refresh_from_db()
    assert alpha.enabled and alpha.source_path == "new/alpha.yaml"


def test_two_files_with_one_slug_are_reported(git_repo, make_repository, sync):
    git_repo.commit("dup", {"a.yaml": runbook_yaml("Same"), "b.yaml": runbook_yaml("Same", command="echo 2")})
    run = sync(make_repository(git_repo.url))
    assert outcomes(run) == {"a.yaml": "created", "b.yaml": "invalid"}
    assert "already defined by a.yaml" in run.files_with("invalid")[0]["errors"][0]


def test_folder_and_globs_select_the_files(git_repo, make_repository, sync):
    git_repo.commit("many", {
        "prod/a.yaml": runbook_yaml("Prod A"),
        "prod/drafts/b.yaml": runbook_yaml("Draft B"),
        "staging/c.yaml": runbook_yaml("Staging C"),
    })
    repository = make_repository(git_repo.url, path="prod", exclude_globs="drafts/**")
    run = sync(repository)
    assert outcomes(run) == {"prod/a.yaml": "created"}


def test_pinned_older_commit_is_a_rollback_and_unpinning_rolls_forward(git_repo, make_repository, sync):
    first = git_repo.commit("v1", {"a.yaml": runbook_yaml("Alpha", command="echo v1")})
    git_repo.commit("v2", {"a.yaml": runbook_yaml("Alpha", command="echo v2")})
    repository = make_repository(git_repo.url)
    sync(repository)
    assert Runbook.objects.get(slug="alpha").steps[0]["command_linux"] == "echo v2"
    Repository.objects.filter(pk=repository.pk).update(pinned_commit=first)
    repository.refresh_from_db()
    run = sync(repository, trigger=Trigger.ROLLBACK)
    assert run.status == SyncStatus.SUCCEEDED and run.commit_sha == first and run.ref == first
    alpha = Runbook.objects.get(slug="alpha")
    assert alpha.steps[0]["command_linux"] == "echo v1" and alpha.version == 2
    assert sync(repository).status == SyncStatus.NO_CHANGE  # idempotent per commit
    Repository.objects.filter(pk=repository.pk).update(pinned_commit="")
    repository.refresh_from_db()
    sync(repository)
    alpha = Runbook.objects.get(slug="alpha")
    assert alpha.steps[0]["command_linux"] == "echo v2" and alpha.version == 3


def test_tag_and_branch_per_environment(git_repo, make_repository, sync):
    git_repo.commit("prod", {"a.yaml": runbook_yaml("Alpha", command="echo prod")})
    git_repo.git("tag", "v1.0")
    git_repo.git("push", "--quiet", "origin", "v1.0")
    git_repo.commit("staging only", {"a.yaml": runbook_yaml("Alpha", command="echo staging")}, branch="staging")
    tagged = make_repository(git_repo.url, name="tagged", tag="v1.0")
    run = sync(tagged)
    assert run.ref == "refs/tags/v1.0" and run.status == SyncStatus.SUCCEEDED
    assert Runbook.objects.get(slug="alpha").steps[0]["command_linux"] == "echo prod"
    missing = make_repository(git_repo.url, name="missing", branch="nope")
    failed = sync(missing)
    assert failed.status == SyncStatus.FAILED and "does not exist" in failed.error


def test_force_push_syncs_the_new_history(git_repo, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(git_repo.url)
    sync(repository)
    git_repo.git("checkout", "--quiet", "--orphan", "rewritten")
    git_repo.git("rm", "-r", "--quiet", "--cached", "--", ".")
    (git_repo.work / "a.yaml").unlink()
    sha = git_repo.commit("rewritten history", {"z.yaml": runbook_yaml("Zeta")})
    run = sync(repository)
    assert run.commit_sha == sha and outcomes(run) == {"z.yaml": "created", "a.yaml": "deactivated"}


def test_git_managed_runbooks_are_read_only_elsewhere(git_repo, make_repository, sync, org_a):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    sync(make_repository(git_repo.url))
    alpha = Runbook.objects.get(slug="alpha")
    with pytest.raises(InvalidDefinition, match="managed by Git"):
        runbook_import_yaml(organization=org_a, text=runbook_yaml("Alpha", command="echo portal"))
    with pytest.raises(InvalidDefinition, match="managed by Git"):
        runbook_restore_version(version=alpha.versions.get())
    assert Runbook.objects.get(slug="alpha").version == 1


def test_a_slug_owned_by_another_repository_is_refused(git_repo, make_repository, sync, tmp_path):
    from .conftest import GitRepo

    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    sync(make_repository(git_repo.url, name="first"))
    other = GitRepo(tmp_path / "other")
    other.commit("clash", {"x.yaml": runbook_yaml("Alpha", command="echo other")})
    run = sync(make_repository(other.url, name="second"))
    assert run.status == SyncStatus.PARTIAL
    assert "managed by repository 'first'" in run.files[0]["errors"][0]


def test_one_sync_per_repository_and_a_dead_holders_lease_expires(git_repo, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(git_repo.url)
    # A worker that claimed the repository and was killed: its lease is still running.
    Repository.objects.filter(pk=repository.pk).update(locked_until=timezone.now() + timedelta(seconds=60),
                                                       lock_owner="dead-worker")
    with pytest.raises(Locked):
        repository_sync(repository_id=repository.pk)
    assert not repository.runs.exists()
    Repository.objects.filter(pk=repository.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert sync(repository).status == SyncStatus.SUCCEEDED
    repository.refresh_from_db()
    assert repository.locked_until is None and repository.lock_owner == ""


def test_unreachable_remote_is_a_failed_run_with_a_clear_error(make_repository, sync, tmp_path):
    repository = make_repository(f"file://{tmp_path}/nowhere.git")
    run = sync(repository)
    assert run.status == SyncStatus.FAILED and "ls-remote failed" in run.error
    assert repository.last_sync_status == SyncStatus.FAILED and repository.last_synced_sha == ""


def test_oversized_files_are_refused(git_repo, make_repository, sync, settings):
    settings.GITSYNC_MAX_FILE_BYTES = 1000
    git_repo.commit("big", {"big.yaml": runbook_yaml("Big", description="x" * 2000), "ok.yaml": runbook_yaml("Ok")})
    run = sync(make_repository(git_repo.url))
    assert outcomes(run) == {"big.yaml": "invalid", "ok.yaml": "created"}
    settings.GITSYNC_MAX_FILES = 1
    git_repo.commit("more", {"two.yaml": runbook_yaml("Two")})
    repository = Repository.objects.get()
    failed = sync(repository)
    assert failed.status == SyncStatus.FAILED and "exceed the limit" in failed.error
