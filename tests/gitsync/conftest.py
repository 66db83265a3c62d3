"""Real git repositories for git-sync tests: a bare "server" repository and a working clone that
commits, renames, deletes and force-pushes with the git CLI, served over file://."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from apps.gitsync import services
from apps.gitsync.sync import repository_sync


def runbook_yaml(name: str, *, command: str = "echo hello", description: str = "A runbook", slug: str = "") -> str:
    slug_line = f"slug: {slug}\n" if slug else ""
    return (
        f"name: {name}\n{slug_line}description: {description}\ncategory: test\ntags: [git]\n"
        "execution:\n  mode: manual\ntriggers:\n  - alert_pattern: HighErrorRate\n"
        f"steps:\n  - name: Say\n    type: command\n    command_linux: {command}\n"
    )


class GitRepo:
    """A bare repository (what the sync fetches) and a clone that pushes to it."""

    def __init__(self, root: Path, branch: str = "main"):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.bare = root / "server.git"
        self.work = root / "work"
        self.branch = branch
        self.env = {
            "PATH": os.environ["PATH"], "HOME": str(root), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Ada Ops", "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Ops", "GIT_COMMITTER_EMAIL": "ada@example.com",
        }
        self.git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(self.bare), cwd=root)
        self.git("init", "--quiet", f"--initial-branch={branch}", str(self.work), cwd=root)
        self.git("remote", "add", "origin", str(self.bare))

    @property
    def url(self) -> str:
        return f"file://{self.bare}"

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(["git", *args], cwd=cwd or self.work, env=self.env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def write(self, path: str, text: str) -> None:
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str, files: dict[str, str] | None = None, *, remove=(), push=True,
               branch: str | None = None) -> str:
        for path, text in (files or {}).items():
            self.write(path, text)
        for path in remove:
            self.git("rm", "--quiet", "--", path)
        self.git("add", "--all", "--", ".")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        if push:
            self.git("push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch or self.branch}")
        return self.git("rev-parse", "HEAD")

    def rename(self, old: str, new: str, message: str) -> str:
        (self.work / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", "--", old, new)
        return self.commit(message)


@pytest.fixture
def git_repo(tmp_path) -> GitRepo:
    return GitRepo(tmp_path / "git")


@pytest.fixture
def make_repository(org_a):
    def make(url: str, organization=None, **fields):
        fields.setdefault("name", f"repo-{url[-24:]}")
        return services.repository_create(organization=organization or org_a, url=url, **fields)

    return make


@pytest.fixture
def sync():
    def run(repository, **kwargs):
        result = repository_sync(repository_id=repository.pk, **kwargs)
        repository.refresh_from_db()
        return result

    return run
