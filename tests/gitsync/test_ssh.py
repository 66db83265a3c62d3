"""Git over SSH through the real loopback sshd: a deploy key generated in the app, an uploaded key,
trust on first use (once, then pinned), and a wrong pinned host key refused."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apps.gitsync import services
from apps.gitsync.choices import AuthMethod, SyncStatus
from apps.runbooks.models import Runbook

from .conftest import runbook_yaml

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def ssh_url(sshd_server, git_repo) -> str:
    return f"ssh://{sshd_server.username}@{sshd_server.host}:{sshd_server.port}{git_repo.bare}"


def authorize(sshd_server, public_key: str) -> None:
    with open(sshd_server.client_key_path.parent / "authorized_keys", "a") as handle:
        handle.write(public_key.strip() + "\n")


def test_generated_deploy_key_syncs_over_ssh_with_the_pinned_host_key(sshd_server, git_repo, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(ssh_url(sshd_server, git_repo), auth_method=AuthMethod.SSH_KEY,
                                 known_hosts=sshd_server.known_hosts_line)
    assert repository.ssh_public_key.startswith("ssh-ed25519 ")
    refused = sync(repository)
    assert refused.status == SyncStatus.FAILED and "Permission denied" in refused.error  # key not yet on the server
    authorize(sshd_server, repository.ssh_public_key)
    run = sync(repository)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert Runbook.objects.filter(slug="alpha").exists()


def test_uploaded_key_and_trust_on_first_use_once(sshd_server, git_repo, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(ssh_url(sshd_server, git_repo), auth_method=AuthMethod.SSH_KEY,
                                 ssh_private_key=sshd_server.client_key)
    assert repository.ssh_public_key.split()[:2] == sshd_server.client_public_key.split()[:2]
    unpinned = sync(repository)
    assert unpinned.status == SyncStatus.FAILED and "pinned host key" in unpinned.error
    pinned = services.repository_trust_host_key(repository=repository)
    assert sshd_server.host_public_key in pinned and repository.host_key_pinned_at is not None
    with pytest.raises(services.AlreadyPinned):
        services.repository_trust_host_key(repository=repository)
    assert services.repository_test_connection(repository=repository) == git_repo.git("rev-parse", "HEAD")
    assert sync(repository).status == SyncStatus.SUCCEEDED


def test_a_wrong_pinned_host_key_is_refused(sshd_server, git_repo, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    other = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    repository = make_repository(ssh_url(sshd_server, git_repo), auth_method=AuthMethod.SSH_KEY,
                                 ssh_private_key=sshd_server.client_key,
                                 known_hosts=f"[{sshd_server.host}]:{sshd_server.port} {other}")
    run = sync(repository)
    assert run.status == SyncStatus.FAILED and "Host key verification failed" in run.error
    assert not Runbook.objects.exists()
