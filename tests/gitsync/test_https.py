"""Git's smart HTTP over HTTPS: the real `git http-backend` behind a loopback TLS server whose
certificate chains to a CA made in the test, a token checked on every request, and the
repository's own CA bundle the only thing that makes the certificate trusted."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ValidationError

from apps.gitsync import services
from apps.gitsync.choices import AuthMethod, SyncStatus
from apps.runbooks.models import Runbook
from tests.support.git_http import GitHttpsServer, make_ca

from .conftest import runbook_yaml

pytestmark = pytest.mark.django_db

TOKEN = "glpat-s3cret-token-value"


@pytest.fixture
def https_git(git_repo):
    with GitHttpsServer(project_root=git_repo.root, username="oauth2", token=TOKEN) as server:
        yield server


def _repository(make_repository, https_git, **fields):
    fields.setdefault("auth_method", AuthMethod.TOKEN)
    fields.setdefault("token_username", "oauth2")
    fields.setdefault("token", TOKEN)
    fields.setdefault("ca_bundle", https_git.ca_pem)
    return make_repository(https_git.url_for("server.git"), **fields)


def test_syncs_over_https_with_the_token_and_the_repository_ca_bundle(git_repo, https_git, make_repository, sync):
    first = git_repo.commit("Add alpha", {"runbooks/a.yaml": runbook_yaml("Alpha")})
    repository = _repository(make_repository, https_git)
    run = sync(repository)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.commit_sha == first and run.created_count == 1
    assert Runbook.objects.get(slug="alpha").git_source.commit_sha == first
    # Every request the server saw carried the token, and git spoke smart HTTP to the CGI.
    assert https_git.requests and all(ok for _, _, ok in https_git.requests)
    assert any(path.endswith("/git-upload-pack") for method, path, _ in https_git.requests if method == "POST")
    # An unchanged head is one ls-remote: no upload-pack POST for the pack.
    before = len(https_git.requests)
    assert sync(repository).status == SyncStatus.NO_CHANGE
    second = git_repo.commit("Change alpha", {"runbooks/a.yaml": runbook_yaml("Alpha", command="echo v2")})
    run = sync(repository)
    assert run.status == SyncStatus.SUCCEEDED and run.commit_sha == second and run.updated_count == 1
    assert len(https_git.requests) > before


def test_a_wrong_token_is_refused_and_never_shown(git_repo, https_git, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = _repository(make_repository, https_git, token="wrong-token-123")
    run = sync(repository)
    assert run.status == SyncStatus.FAILED
    assert "wrong-token-123" not in run.error and TOKEN not in run.error
    assert https_git.requests and not any(ok for _, _, ok in https_git.requests)
    assert not Runbook.objects.filter(slug="alpha").exists()


def test_no_token_fails_without_prompting(git_repo, https_git, make_repository, sync):
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = _repository(make_repository, https_git, auth_method=AuthMethod.NONE, token="")
    run = sync(repository)
    assert run.status == SyncStatus.FAILED and run.error


@pytest.mark.parametrize("bundle", ["none", "other"])
def test_the_certificate_is_verified_without_the_right_ca(git_repo, https_git, make_repository, sync, bundle):
    """No CA bundle (system CAs only) or another CA's: the TLS handshake fails before any request."""
    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    other = make_ca("someone else")[1].public_bytes(serialization.Encoding.PEM).decode()
    repository = _repository(make_repository, https_git, ca_bundle="" if bundle == "none" else other)
    run = sync(repository)
    assert run.status == SyncStatus.FAILED
    assert "certificate" in run.error.lower() or "ssl" in run.error.lower(), run.error
    assert https_git.requests == []  # nothing (and no token) was sent to an unverified server
    assert not Runbook.objects.filter(slug="alpha").exists()


def test_a_ca_bundle_that_is_not_pem_is_refused(make_repository):
    with pytest.raises(ValidationError) as caught:
        make_repository("https://git.example.com/ops/runbooks.git", ca_bundle="not a certificate")
    assert "ca_bundle" in caught.value.message_dict


def test_the_ca_bundle_is_stored_normalised(make_repository, https_git):
    repository = make_repository("https://git.example.com/ops/runbooks.git", ca_bundle="\n" + https_git.ca_pem + "\n\n")
    assert repository.ca_bundle == https_git.ca_pem
    assert services.ca_bundle_of(https_git.ca_pem) == https_git.ca_pem
