"""Write paths for runbook repositories: create and change them, keys, host-key pinning, sync requests.

The sync itself is in `sync.py`; here is what admins and the API do to a repository. Every
field a person types (URL, branch, tag, commit, folder, globs) is checked here before it is
stored, so nothing that could be read as a git option ever reaches `git`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import git, tasks
from .choices import AuthMethod, Trigger
from .models import Repository
from .sync import _glob_regex, globs


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_fields(values: dict, instance: Repository | None = None) -> dict:
    """Normalise and check a repository's user-typed fields; raises ValidationError per field."""
    errors: dict[str, str] = {}
    out = dict(values)

    def check(name, fn):
        if name in out and out[name] not in (None, ""):
            try:
                out[name] = fn(out[name])
            except ValueError as exc:
                errors[name] = str(exc)

    def url(value):
        git.protocol_of(value)
        return value.strip()

    if "url" in out and not (out["url"] or "").strip():
        errors["url"] = _("is required")
    check("url", url)
    check("branch", lambda v: git.check_ref(v.strip()))
    check("tag", lambda v: git.check_ref(v.strip(), "tag"))
    check("pinned_commit", git.check_sha)
    if "path" in out:
        try:
            out["path"] = git.check_path(out["path"] or "")
        except ValueError as exc:
            errors["path"] = str(exc)
    for name in ("include_globs", "exclude_globs"):
        if name in out:
            for pattern in globs(out[name] or ""):
                if pattern.startswith(("/", "-")) or ".." in pattern.split("/"):
                    errors[name] = _("%(glob)r must be a relative pattern") % {"glob": pattern}
                    continue
                try:
                    _glob_regex(pattern)
                except re.error:
                    errors[name] = _("%(glob)r is not a valid pattern") % {"glob": pattern}
    if "web_url" in out and out["web_url"]:
        parts = urlsplit(out["web_url"])
        if parts.scheme not in ("https", "http") or not parts.hostname:
            errors["web_url"] = _("must be an http(s) URL")
    if "known_hosts" in out and out["known_hosts"]:
        for line in out["known_hosts"].strip().splitlines():
            fields = line.split()
            if line.strip() and (len(fields) < 3 or not fields[1].startswith(("ssh-", "ecdsa-", "sk-"))):
                errors["known_hosts"] = _("each line must be a known_hosts entry: host key-type key")
    if "ca_bundle" in out and (out["ca_bundle"] or "").strip():
        try:
            out["ca_bundle"] = ca_bundle_of(out["ca_bundle"])
        except ValueError as exc:
            errors["ca_bundle"] = str(exc)
    if "interval_seconds" in out and out["interval_seconds"] is not None and int(out["interval_seconds"]) < 30:
        errors["interval_seconds"] = _("must be at least 30 seconds")
    merged = {**({f: getattr(instance, f) for f in ("url", "auth_method", "known_hosts")} if instance else {}), **out}
    if not errors.get("url") and merged.get("url"):
        protocol = git.protocol_of(merged["url"])
        method = merged.get("auth_method") or AuthMethod.NONE
        if method == AuthMethod.SSH_KEY and protocol != "ssh":
            errors["auth_method"] = _("a deploy key needs an ssh:// or git@host: URL")
        if method == AuthMethod.TOKEN and protocol not in ("https", "http"):
            errors["auth_method"] = _("a token needs an https:// URL")
    if "ssh_private_key" in out and out["ssh_private_key"]:
        try:
            out["ssh_public_key"] = public_key_of(out["ssh_private_key"])
        except ValueError as exc:
            errors["ssh_private_key"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return out


def ca_bundle_of(text: str) -> str:
    """PEM certificates only (what GIT_SSL_CAINFO reads), normalised; raises ValueError otherwise."""
    from cryptography import x509

    try:
        certificates = x509.load_pem_x509_certificates(text.strip().encode())
    except ValueError as exc:
        raise ValueError(_("must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)")) from exc
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


def public_key_of(private_key: str) -> str:
    try:
        key = serialization.load_ssh_private_key(private_key.strip().encode() + b"\n", password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(_("is not an unencrypted OpenSSH private key")) from exc
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


@transaction.atomic
def repository_create(*, organization, user=None, **fields) -> Repository:
    """Add a repository; an ssh repository without an uploaded key gets a generated deploy key."""
    fields = clean_fields(fields)
    repository = Repository(organization=organization, created_by=user, **fields)
    repository_prepare(repository=repository)
    repository.save()
    return repository


def repository_prepare(*, repository: Repository) -> None:
    """Before a save (service, admin): a generated deploy key, a webhook URL, due for a sync now."""
    if repository.auth_method == AuthMethod.SSH_KEY and not repository.ssh_private_key:
        _set_generated_key(repository)
    if repository.webhook_provider and not repository.webhook_token:
        _set_webhook_token(repository)
    repository.next_sync_at = timezone.now()


@transaction.atomic
def repository_update(*, repository: Repository, user=None, **fields) -> Repository:
    """Change a repository; a changed target or folder makes the next beat tick sync it."""
    fields = clean_fields(fields, repository)
    for key, value in fields.items():
        setattr(repository, key, value)
    repository_prepare(repository=repository)
    repository.save()
    return repository


def _set_generated_key(repository: Repository) -> None:
    key = Ed25519PrivateKey.generate()
    repository.ssh_private_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    repository.ssh_public_key = f"{public} aiops-gitsync-{repository.organization.slug}"[:500]


def _set_webhook_token(repository: Repository) -> None:
    token = secrets.token_urlsafe(32)
    repository.webhook_token = token
    repository.webhook_token_hash = token_hash(token)


@transaction.atomic
def repository_generate_deploy_key(*, repository: Repository) -> str:
    """Replace the deploy key with a new ed25519 key; returns the public key to add to the server."""
    _set_generated_key(repository)
    repository.auth_method = AuthMethod.SSH_KEY
    repository.save(update_fields=["ssh_private_key", "ssh_public_key", "auth_method", "updated_at"])
    return repository.ssh_public_key


@transaction.atomic
def repository_rotate_webhook_token(*, repository: Repository) -> str:
    _set_webhook_token(repository)
    repository.save(update_fields=["webhook_token", "webhook_token_hash", "updated_at"])
    return repository.webhook_token


class AlreadyPinned(Exception):
    pass


def repository_trust_host_key(*, repository: Repository) -> str:
    """Trust on first use: scan the ssh server's host key once and pin it; refused once pinned.

    After that a changed key is a failed sync (StrictHostKeyChecking=yes), never a silent re-pin:
    an admin has to replace the pinned line by hand, having checked the new key out of band.
    """
    if repository.known_hosts.strip():
        raise AlreadyPinned(_("A host key is already pinned; replace it by hand if the server's key really changed."))
    if git.protocol_of(repository.url) != "ssh":
        raise ValueError(_("Only ssh repositories have host keys."))
    host, port = git.ssh_host_port(repository.url)
    lines = git.keyscan(host, port)
    updated = Repository.objects.filter(pk=repository.pk, known_hosts="").update(
        known_hosts=lines, host_key_pinned_at=timezone.now()
    )
    if not updated:
        raise AlreadyPinned(_("A host key was pinned meanwhile."))
    repository.refresh_from_db(fields=["known_hosts", "host_key_pinned_at"])
    return lines


def repository_test_connection(*, repository: Repository) -> str:
    """ls-remote the target with the repository's credentials; returns the commit it points at."""
    from .sync import remote_of

    with git.session(remote_of(repository)) as workspace:
        if repository.pinned_commit:
            return repository.pinned_commit
        ref = f"refs/tags/{repository.tag}" if repository.tag else f"refs/heads/{repository.branch}"
        sha = workspace.ls_remote(ref)
        if sha is None:
            raise git.GitError(_("%(target)s does not exist on the remote") % {"target": repository.target})
        return sha


def repository_request_sync(*, repository: Repository, trigger: str = Trigger.MANUAL, user=None) -> None:
    """Ask for a sync: recorded on the row (beat picks it up if the message is lost), then queued."""
    Repository.objects.filter(pk=repository.pk).update(sync_requested_at=timezone.now(), sync_requested_trigger=trigger)
    tasks.enqueue_sync(repository.pk, trigger, getattr(user, "pk", None))


@transaction.atomic
def repository_pin(*, repository: Repository, commit: str, user=None) -> Repository:
    """Rollback: sync exactly `commit` from now on (empty = follow the branch again), then sync."""
    commit = git.check_sha(commit) if commit else ""
    repository.pinned_commit = commit
    repository.save(update_fields=["pinned_commit", "updated_at"])
    repository_request_sync(repository=repository, trigger=Trigger.ROLLBACK if commit else Trigger.MANUAL, user=user)
    return repository


def file_url(repository: Repository, path: str, commit: str) -> str:
    """The file at `commit` in the repository's web UI, when it can be known."""
    base = repository.web_url.rstrip("/")
    if not base:
        base = _guess_web_url(repository.url)
    if not base or not commit:
        return ""
    host = urlsplit(base).hostname or ""
    if "gitlab" in host:
        return f"{base}/-/blob/{commit}/{path}"
    if "bitbucket" in host:
        return f"{base}/src/{commit}/{path}"
    if "gitea" in host or "codeberg" in host or "forgejo" in host:
        return f"{base}/src/commit/{commit}/{path}"
    return f"{base}/blob/{commit}/{path}"


def _guess_web_url(url: str) -> str:
    match = git._SCP_LIKE.match(url)
    if match:
        host, path = match["host"], match["path"]
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "ssh"):
            return ""
        host, path = parts.hostname or "", parts.path.lstrip("/")
    if not host or not path:
        return ""
    return f"https://{host}/{path.removesuffix('.git')}"
