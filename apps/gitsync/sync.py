"""The sync: find what to fetch, fetch it shallowly, validate every runbook file, apply, record.

1. `ls-remote` the branch or tag: a head already synced with the same settings costs one call
   and records a "no change" run (a pinned commit skips even that).
2. Otherwise shallow-fetch that one commit into a private temp workspace.
3. List the files under the folder that match the globs, with their blob ids; a file whose blob
   is the one already applied is unchanged without being read.
4. Read the rest in one `cat-file --batch`, parse and validate each with the runbooks app's own
   YAML loader (line-numbered errors), and save each through `runbook_save_definition`: a new
   runbook version (source "git", note = commit, path, author, subject) only when the
   definition's checksum changed.
5. A runbook whose file disappeared is deactivated (a new, disabled version: history kept); a
   file that moved with the same slug is a rename of the same runbook, not a delete and a create.
6. In "all or nothing" mode one invalid file rejects the whole commit.

One sync per repository at a time: a lease on the repository row (`locked_until`, claimed by a
conditional UPDATE and renewed while the sync runs), so a worker killed mid-sync frees the
repository when its lease runs out, on every database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from aiops import events
from aiops.links import absolute_reverse
from apps.runbooks.choices import VersionSource
from apps.runbooks.models import Runbook, RunbookVersion
from apps.runbooks.schema import InvalidDefinition
from apps.runbooks.services import NewRunbook, runbook_create_many, runbook_save_definition
from apps.runbooks.yamlio import checksum, load

from . import conf, git
from .choices import ApplyMode, AuthMethod, FileOutcome, SyncStatus, Trigger
from .models import CONFIG_FIELDS, ManagedRunbook, Repository, SyncRun, VersionCommit

logger = logging.getLogger("apps.gitsync")
OK_STATUSES = (SyncStatus.SUCCEEDED, SyncStatus.NO_CHANGE, SyncStatus.PARTIAL)


class Locked(Exception):
    """Another sync of this repository holds its lease."""


# -- the lease ---------------------------------------------------------------------------------------------
def _claim(repository_id: int, owner: str) -> bool:
    now = timezone.now()
    return bool(
        Repository.objects.filter(pk=repository_id)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=conf.lock_seconds()), lock_owner=owner, sync_requested_at=None,
                sync_requested_trigger="")
    )


def _renew(repository_id: int, owner: str) -> None:
    Repository.objects.filter(pk=repository_id, lock_owner=owner).update(
        locked_until=timezone.now() + timedelta(seconds=conf.lock_seconds())
    )


def _release(repository_id: int, owner: str) -> None:
    Repository.objects.filter(pk=repository_id, lock_owner=owner).update(locked_until=None, lock_owner="")


# -- matching files ----------------------------------------------------------------------------------------
def _glob_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def globs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip() and not line.strip().startswith("#")]


def matches(relative: str, include: list[re.Pattern], exclude: list[re.Pattern]) -> bool:
    return any(p.match(relative) for p in include) and not any(p.match(relative) for p in exclude)


def config_digest(repository: Repository) -> str:
    values = {f: getattr(repository, f) for f in CONFIG_FIELDS}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def remote_of(repository: Repository) -> git.Remote:
    ssh = repository.auth_method == AuthMethod.SSH_KEY
    return git.Remote(
        url=repository.url,
        private_key=repository.ssh_private_key if ssh else "",
        known_hosts=repository.known_hosts,
        token=repository.token if repository.auth_method == AuthMethod.TOKEN else "",
        token_username=repository.token_username,
        ca_bundle=repository.ca_bundle,
    )


# -- the entry point ---------------------------------------------------------------------------------------
def repository_sync(*, repository_id: int, trigger: str = Trigger.MANUAL, user=None) -> SyncRun:
    """Sync one repository now and return its run; raises Locked when another sync holds it."""
    owner = uuid.uuid4().hex
    if not _claim(repository_id, owner):
        raise Locked(f"repository {repository_id} is being synced")
    try:
        repository = Repository.objects.select_related("organization", "team").get(pk=repository_id)
        run = SyncRun.objects.create(
            organization_id=repository.organization_id,
            repository=repository,
            trigger=trigger,
            started_at=timezone.now(),
            requested_by=user,
        )
        started = time.monotonic()
        previous_status = repository.last_sync_status
        try:
            _sync(repository, run, owner)
        except (git.GitError, ValueError) as exc:  # ValueError: a stored field git would refuse (see git.check_*)
            run.status, run.error = SyncStatus.FAILED, str(exc)
        except Exception as exc:  # a bug must still end the run, visibly, and free the repository
            logger.exception("git sync crashed", extra={"repository": repository_id})
            run.status, run.error = SyncStatus.FAILED, f"internal error: {type(exc).__name__}"
        run.finished_at = timezone.now()
        run.duration_ms = round((time.monotonic() - started) * 1000)
        with transaction.atomic():  # the run's outcome and its event commit together, or neither
            run.save()
            _record_on_repository(repository, run)
            _announce_run(repository, run, previous_status)
        logger.info(
            "git sync finished",
            extra={"repository": repository_id, "status": run.status, "commit": run.commit_sha, "ms": run.duration_ms},
        )
        return run
    finally:
        _release(repository_id, owner)


def _record_on_repository(repository: Repository, run: SyncRun) -> None:
    fields = {
        "last_sync_at": run.finished_at,
        "last_sync_status": run.status,
        "last_error": run.error,
        "next_sync_at": run.finished_at
        + timedelta(seconds=repository.interval_seconds or conf.default_interval_seconds()),
    }
    if run.status in OK_STATUSES:
        fields["last_synced_sha"] = run.commit_sha
        fields["last_config_digest"] = config_digest(repository)
    Repository.objects.filter(pk=repository.pk).update(**fields)
    for key, value in fields.items():
        setattr(repository, key, value)


def _sync(repository: Repository, run: SyncRun, owner: str) -> None:
    digest = config_digest(repository)
    with git.session(remote_of(repository)) as workspace:
        if repository.tag:
            run.ref = f"refs/tags/{git.check_ref(repository.tag, 'tag')}"
        elif repository.pinned_commit:
            run.ref = git.check_sha(repository.pinned_commit)
        else:
            run.ref = f"refs/heads/{git.check_ref(repository.branch)}"
        path = git.check_path(repository.path)
        unchanged_config = digest == repository.last_config_digest and repository.last_sync_status in OK_STATUSES
        if repository.pinned_commit:
            if unchanged_config and repository.last_synced_sha.startswith(run.ref):
                _no_change(run, repository)
                return
            sha = workspace.fetch_commit(run.ref, git.check_ref(repository.branch))
        else:
            head = workspace.ls_remote(run.ref)
            if head is None:
                raise git.GitError(f"{repository.target} does not exist on the remote")
            if unchanged_config and head == repository.last_synced_sha:
                _no_change(run, repository)
                return
            sha = workspace.fetch(run.ref)
        info = workspace.commit_info(sha)
        run.commit_sha, run.commit_author = info["sha"], info["author"][:300]
        run.commit_message = info["message"][:10_000]
        run.committed_at = parse_datetime(info["committed_at"]) if info["committed_at"] else None
        _renew(repository.pk, owner)
        tree = workspace.tree(sha, path)
        include = [_glob_regex(g) for g in globs(repository.include_globs)]
        exclude = [_glob_regex(g) for g in globs(repository.exclude_globs)]
        prefix = f"{path}/" if path else ""
        files = [(p, blob, size) for p, blob, size in tree if matches(p[len(prefix):], include, exclude)]
        if len(files) > conf.max_files():
            raise git.GitError(
                f"{len(files)} runbook files exceed the limit of {conf.max_files()}: check the folder and globs")
        _apply(repository, run, workspace, files, owner)


def _no_change(run: SyncRun, repository: Repository) -> None:
    run.status = SyncStatus.NO_CHANGE
    run.commit_sha = repository.last_synced_sha
    last = repository.runs.exclude(pk=run.pk).filter(commit_sha=run.commit_sha).exclude(commit_author="").first()
    if last is not None:
        run.commit_author, run.commit_message = last.commit_author, last.commit_message
        run.committed_at = last.committed_at
    run.unchanged_count = repository.managed.filter(active=True).count()


def _note(run: SyncRun, path: str) -> str:
    subject = run.commit_message.split("\n", 1)[0]
    return f"git {run.commit_sha[:12]} {path} — {run.commit_author}: {subject}"[:500]


def _apply(repository: Repository, run: SyncRun, workspace, files, owner: str) -> None:
    org = repository.organization
    managed = {m.path: m for m in ManagedRunbook.objects.filter(repository=repository).select_related("runbook")}
    by_slug = {m.runbook.slug: m for m in managed.values()}
    results: dict[str, dict] = {}
    to_read, total = [], 0
    for path, blob, size in files:
        current = managed.get(path)
        if current is not None and current.active and current.blob_sha == blob:
            results[path] = {"path": path, "outcome": FileOutcome.UNCHANGED, "runbook": current.runbook_id,
                             "slug": current.runbook.slug}
        elif size > conf.max_file_bytes():
            results[path] = {"path": path, "outcome": FileOutcome.INVALID,
                             "errors": [f"is larger than {conf.max_file_bytes() // 1024} KiB"]}
        else:
            total += size
            to_read.append((path, blob))
    if total > conf.max_repository_bytes():
        raise git.GitError(f"runbook files total {total} bytes, more than the limit of {conf.max_repository_bytes()}")
    blobs = workspace.blobs(sorted({blob for _, blob in to_read}))
    parsed = []
    for path, blob in to_read:
        text = blobs[blob]
        try:
            definition = load(text)
        except InvalidDefinition as exc:
            results[path] = {"path": path, "outcome": FileOutcome.INVALID, "errors": exc.messages}
            continue
        parsed.append((path, blob, text.decode("utf-8"), definition))
    # A slug is a runbook's identity: two files may not claim one.
    claimed = {r["slug"]: r["path"] for r in results.values() if r["outcome"] == FileOutcome.UNCHANGED}
    valid = []
    for path, blob, text, definition in sorted(parsed):
        other = claimed.get(definition["slug"])
        if other is not None:
            results[path] = {"path": path, "outcome": FileOutcome.INVALID,
                             "errors": [f"slug {definition['slug']!r} is already defined by {other}"]}
            continue
        claimed[definition["slug"]] = path
        valid.append((path, blob, text, definition))
    if repository.apply_mode == ApplyMode.ALL_OR_NOTHING and any(
        r["outcome"] == FileOutcome.INVALID for r in results.values()
    ):
        run.status = SyncStatus.REJECTED
        run.error = "invalid files: nothing from this commit was applied (all or nothing)"
        _finish_counts(run, results)
        return
    present = {path for path, _, _ in files}
    with transaction.atomic():
        # Runbooks the files name that this repository does not manage yet: one query, not one per file.
        slugs = [definition["slug"] for path, _blob, _text, definition in valid if path not in managed]
        existing = {
            rb.slug: rb
            for rb in Runbook.objects.filter(organization=org, slug__in=slugs).select_related("git_source__repository")
        }
        new_rows: list[ManagedRunbook] = []
        fresh = [v for v in valid
                 if v[0] not in managed and v[3]["slug"] not in by_slug and v[3]["slug"] not in existing]
        if fresh:
            # Runbooks nobody has yet (a first sync): created in bulk, the same first version each.
            created = runbook_create_many(
                organization=org,
                items=[NewRunbook(definition, text, path, _note(run, path)) for path, _blob, text, definition in fresh],
                source=VersionSource.GIT,
                team=repository.team,
            )
            for (path, blob, _text, _definition), runbook in zip(fresh, created, strict=True):
                row = ManagedRunbook(organization=org, repository=repository, runbook=runbook, path=path, blob_sha=blob,
                                     checksum=runbook.checksum, commit_sha=run.commit_sha)
                new_rows.append(row)
                managed[path] = by_slug[runbook.slug] = row
                results[path] = {"path": path, "outcome": FileOutcome.CREATED, "runbook": runbook.pk,
                                 "slug": runbook.slug, "version": 1}
            _renew(repository.pk, owner)
        fresh_paths = {v[0] for v in fresh}
        valid = [v for v in valid if v[0] not in fresh_paths]
        for index, (path, blob, text, definition) in enumerate(valid):
            results[path] = _apply_file(repository, run, org, managed, by_slug, present, existing, new_rows,
                                        path, blob, text, definition)
            if index % 200 == 199:
                _renew(repository.pk, owner)
        ManagedRunbook.objects.bulk_create(new_rows)
        for path, row in managed.items():
            if not row.active or path in present or row.path != path:
                continue
            if any(r.get("renamed_from") == path for r in results.values()):
                continue
            results[f"{path}\0removed"] = _deactivate(run, row)
        if repository.apply_mode == ApplyMode.ALL_OR_NOTHING and any(
            r["outcome"] == FileOutcome.INVALID for r in results.values()
        ):
            transaction.set_rollback(True)
            run.status = SyncStatus.REJECTED
            run.error = "invalid files: nothing from this commit was applied (all or nothing)"
        else:
            _record_version_commits(repository, run, results)
            _announce_runbooks(repository, run, results)  # in the transaction that changed them
    _finish_counts(run, results)


def _git_source(runbook: Runbook) -> ManagedRunbook | None:
    try:
        return runbook.git_source
    except ManagedRunbook.DoesNotExist:
        return None


def _apply_file(repository, run, org, managed, by_slug, present, existing, new_rows, path, blob, text,
                definition) -> dict:
    row = managed.get(path)
    renamed_from = None
    if row is None:
        row = by_slug.get(definition["slug"])
        if row is not None and row.path != path and row.path in present:
            row = None  # the old file still exists: that is a slug clash, reported below
        elif row is not None and row.path != path:
            renamed_from = row.path
    runbook = row.runbook if row is not None else None
    if runbook is None:
        found = existing.get(definition["slug"])
        if found is not None:
            owner = _git_source(found)
            if owner is not None and owner.repository_id != repository.pk:
                return {"path": path, "outcome": FileOutcome.INVALID,
                        "errors": [f"slug {definition['slug']!r} is managed by repository {owner.repository.name!r}"]}
            if owner is not None:
                row, runbook = owner, found
                renamed_from = owner.path if owner.path != path else None
            else:
                runbook = found  # a portal-made runbook now comes from Git
    try:
        saved = runbook_save_definition(
            organization=org,
            definition=definition,
            source=VersionSource.GIT,
            yaml_text=text,
            team=repository.team,
            runbook=runbook,
            note=_note(run, path),
            source_path=path,
        )
    except InvalidDefinition as exc:
        return {"path": path, "outcome": FileOutcome.INVALID, "errors": exc.messages}
    outcome = FileOutcome.CREATED if saved.outcome == "created" else (
        FileOutcome.UPDATED if saved.outcome == "updated" else FileOutcome.UNCHANGED)
    if row is not None and not row.active and outcome == FileOutcome.UNCHANGED:
        outcome = FileOutcome.UPDATED
    if saved.runbook.source_path != path:  # a rename that left the definition as it was
        Runbook.objects.filter(pk=saved.runbook.pk).update(source_path=path)
    is_new = row is None
    if is_new:
        row = ManagedRunbook(organization=org, repository=repository, runbook=saved.runbook)
    if row.path != path:
        managed.pop(row.path, None)
    row.path, row.blob_sha, row.checksum = path, blob, checksum(definition)
    row.commit_sha, row.active = run.commit_sha, True
    if is_new:
        new_rows.append(row)
    else:
        row.save()
    managed[path] = row
    by_slug[definition["slug"]] = row
    result = {"path": path, "outcome": outcome, "runbook": saved.runbook.pk, "slug": saved.runbook.slug,
              "version": saved.runbook.version}
    if renamed_from:
        result["outcome"], result["renamed_from"] = FileOutcome.RENAMED, renamed_from
    return result


def _deactivate(run: SyncRun, row: ManagedRunbook) -> dict:
    """The file is gone: a disabled version of the runbook (history kept), still marked as Git's."""
    runbook = row.runbook
    if runbook.enabled:
        definition = dict(runbook.definition, enabled=False)
        runbook_save_definition(
            organization=runbook.organization,
            definition=definition,
            source=VersionSource.GIT,
            runbook=runbook,
            note=_note(run, f"{row.path} (removed)"),
        )
    row.active, row.commit_sha = False, run.commit_sha
    row.save(update_fields=["active", "commit_sha", "updated_at"])
    return {"path": row.path, "outcome": FileOutcome.DEACTIVATED, "runbook": runbook.pk, "slug": runbook.slug}


def _record_version_commits(repository: Repository, run: SyncRun, results: dict) -> None:
    """The commit (sha, author, message, date) of every runbook version this sync created."""
    paths = {r["runbook"]: r["path"] for r in results.values()
             if r.get("runbook") and r["outcome"] in (FileOutcome.CREATED, FileOutcome.UPDATED, FileOutcome.RENAMED,
                                                      FileOutcome.DEACTIVATED)}
    if not paths:
        return
    latest: dict[int, tuple[int, int]] = {}
    for pk, runbook_id, number in RunbookVersion.objects.filter(runbook_id__in=paths).values_list(
            "pk", "runbook_id", "number"):
        if runbook_id not in latest or number > latest[runbook_id][0]:
            latest[runbook_id] = (number, pk)
    VersionCommit.objects.bulk_create(
        [VersionCommit(organization_id=repository.organization_id, repository=repository, version_id=pk,
                       path=paths[runbook_id][:1000], commit_sha=run.commit_sha, author=run.commit_author,
                       message=run.commit_message, committed_at=run.committed_at)
         for runbook_id, (_number, pk) in latest.items()],
        ignore_conflicts=True,  # a rename that kept the definition made no version: its commit is recorded
        batch_size=500,
    )


# -- domain events -----------------------------------------------------------------------------------------
RUNBOOK_EVENTS = {
    FileOutcome.CREATED: "gitsync.runbook_created",
    FileOutcome.UPDATED: "gitsync.runbook_updated",
    FileOutcome.RENAMED: "gitsync.runbook_updated",
    FileOutcome.DEACTIVATED: "gitsync.runbook_deactivated",
}


def _commit_data(repository: Repository, run: SyncRun) -> dict:
    return {
        "repository_id": repository.pk,
        "repository": repository.name,
        "environment": repository.environment,
        "team_id": repository.team_id,
        "commit_sha": run.commit_sha,
        "commit_author": run.commit_author,
        "commit_subject": run.commit_message.split("\n", 1)[0][:300],
        "sync_run_id": run.pk,
        "trigger": run.trigger,
    }


def _announce_runbooks(repository: Repository, run: SyncRun, results: dict) -> None:
    """One event per runbook the commit created, changed, renamed or deactivated."""
    changed = [r for r in results.values() if r["outcome"] in RUNBOOK_EVENTS and r.get("runbook")]
    if not changed:
        return
    names = dict(Runbook.objects.filter(pk__in={r["runbook"] for r in changed}).values_list("pk", "name"))
    common = _commit_data(repository, run)
    for result in sorted(changed, key=lambda r: r["path"]):
        data = {**common, "runbook_id": result["runbook"], "runbook_name": names.get(result["runbook"], result["slug"]),
                "slug": result["slug"], "path": result["path"], "outcome": result["outcome"]}
        if result.get("version"):
            data["version"] = result["version"]
        if result.get("renamed_from"):
            data["renamed_from"] = result["renamed_from"]
        events.publish(RUNBOOK_EVENTS[result["outcome"]], org=repository.organization_id,
                       subject=Runbook(pk=result["runbook"]), **data)


def _announce_run(repository: Repository, run: SyncRun, previous_status: str) -> None:
    """`gitsync.sync_succeeded` when a commit changed runbooks, `gitsync.sync_failed` on failure.

    A head already synced ("no change", every few minutes) publishes nothing. A failure asks
    notifications to tell the repository's failure channel only when it starts a run of
    failures, not on every scheduled retry of a repository that stays broken.
    """
    failed = run.status in (SyncStatus.FAILED, SyncStatus.REJECTED)
    changed = run.created_count + run.updated_count + run.deleted_count
    if not failed and (run.status == SyncStatus.NO_CHANGE or not changed):
        return
    data = {
        **_commit_data(repository, run),
        "title": f"Runbook sync {'failed' if failed else 'applied'}: {repository.name}",
        "status": run.status,
        "created": run.created_count,
        "updated": run.updated_count,
        "deactivated": run.deleted_count,
        "invalid": run.error_count,
        "duration_ms": run.duration_ms,
        "error": run.error[:1000],
        "url": absolute_reverse("gitsync:run", args=[run.pk]),
    }
    if failed:
        streak_starts = previous_status not in (SyncStatus.FAILED, SyncStatus.REJECTED)
        channel = repository.failure_channel or conf.failure_channel()
        if streak_starts and channel:
            invalid = [f"- {f['path']}: {'; '.join(f.get('errors') or [])}"
                       for f in run.files_with(FileOutcome.INVALID)]
            message = "\n".join([
                f"Runbook repository {repository.name} ({repository.target}) failed to sync: {run.status}.",
                run.error, *invalid[:20], data["url"],
            ])
            data["notifications"] = [{"channel": channel, "message": message, "severity": "warning"}]
    events.publish("gitsync.sync_failed" if failed else "gitsync.sync_succeeded", org=repository.organization_id,
                   subject=repository, actor=run.requested_by_id, **data)


def _finish_counts(run: SyncRun, results: dict) -> None:
    files = sorted(results.values(), key=lambda r: (r["outcome"] != FileOutcome.INVALID, r["path"]))
    count = {o: 0 for o in FileOutcome.values}
    for r in files:
        count[r["outcome"]] += 1
    run.files = files
    run.created_count = count[FileOutcome.CREATED]
    run.updated_count = count[FileOutcome.UPDATED] + count[FileOutcome.RENAMED]
    run.unchanged_count = count[FileOutcome.UNCHANGED]
    run.deleted_count = count[FileOutcome.DEACTIVATED]
    run.error_count = count[FileOutcome.INVALID]
    if run.status == SyncStatus.RUNNING:
        run.status = SyncStatus.PARTIAL if run.error_count else SyncStatus.SUCCEEDED
