"""Demo data for `make run`: a local `file://` runbook repository, synced once.

The repository is made with the git CLI under var/gitsync-demo/ (a bare repository plus the
two commits that fill it), so the demo shows a real sync, a version per commit, and a runbook
that the portal shows read-only with its commit. Idempotent: an existing repository row or
folder is reused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings

from .choices import Trigger
from .models import Repository

logger = logging.getLogger(__name__)

DISK_FULL = """\
name: Free disk space (Git demo)
description: Rotate logs and clear the package cache when a disk fills up.
category: storage
tags: [disk, demo, git]
execution:
  mode: manual
triggers:
  - alert_pattern: DiskSpaceLow
    severity: [warning, critical]
steps:
  - name: Rotate logs
    type: command
    command_linux: logrotate --force /etc/logrotate.conf
  - name: Clean package cache
    type: command
    command_linux: apt-get clean
"""

CERT_CHECK = """\
name: Check TLS certificate (Git demo)
description: Show the certificate a service presents, to confirm an expiry alert.
category: security
tags: [tls, demo, git]
execution:
  mode: manual
triggers:
  - alert_pattern: CertificateExpiringSoon
steps:
  - name: Show certificate dates
    type: command
    command_linux: echo | openssl s_client -connect {{service}}:443 2>/dev/null | openssl x509 -noout -dates
"""


def _git(*args: str, cwd: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "Demo Ops", "GIT_AUTHOR_EMAIL": "ops@example.com",
           "GIT_COMMITTER_NAME": "Demo Ops", "GIT_COMMITTER_EMAIL": "ops@example.com"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=30)


def demo_repository_path() -> Path:
    return Path(settings.VAR_DIR) / "gitsync-demo" / "runbooks.git"


def ensure_demo_repository() -> Path:
    bare = demo_repository_path()
    if (bare / "HEAD").exists():
        return bare
    bare.parent.mkdir(parents=True, exist_ok=True)
    _git("init", "--quiet", "--bare", "--initial-branch=main", "--", str(bare), cwd=bare.parent)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        _git("clone", "--quiet", "--", str(bare), "checkout", cwd=work)
        checkout = work / "checkout"
        _git("checkout", "--quiet", "-b", "main", cwd=checkout)
        (checkout / "runbooks").mkdir()
        (checkout / "runbooks" / "disk-full.yaml").write_text(DISK_FULL)
        _git("add", "--", ".", cwd=checkout)
        _git("commit", "--quiet", "-m", "Add the disk-full runbook", cwd=checkout)
        (checkout / "runbooks" / "cert-check.yaml").write_text(CERT_CHECK)
        _git("add", "--", ".", cwd=checkout)
        _git("commit", "--quiet", "-m", "Add the certificate check", cwd=checkout)
        _git("push", "--quiet", "origin", "main", cwd=checkout)
    return bare


def seed(organization, users) -> None:
    from .services import repository_create
    from .sync import Locked, repository_sync

    repository = Repository.objects.filter(organization=organization, name="Demo runbooks (local)").first()
    if repository is None:
        try:
            bare = ensure_demo_repository()
        except (OSError, subprocess.SubprocessError) as exc:
            logger.warning("git demo repository not made: %s", exc)
            return
        repository = repository_create(
            organization=organization,
            user=users.get("admin"),
            name="Demo runbooks (local)",
            url=f"file://{bare}",
            branch="main",
            path="runbooks",
            environment="demo",
        )
    if not repository.last_sync_at:
        with contextlib.suppress(Locked):
            repository_sync(repository_id=repository.pk, trigger=Trigger.MANUAL)
