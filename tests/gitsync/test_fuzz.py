"""Fuzz the fields a person types: whatever is accepted can never be read by git as an option, a
transport helper or a path outside the repository."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.gitsync import git, services

NASTY = st.sampled_from(["-", "--", "--upload-pack=", "-oProxyCommand=", "ext::", "fd::", "..", "/", "\n", "\x00",
                         " ", "@{", "$(touch x)", "`id`", ";", "|", "~", "%", "?", "*", "::", "git://", "file://",
                         "ssh://", "https://", "a", "main", "x.git"])
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=4)), max_size=6).map("".join)


def accepted(field, value):
    try:
        return services.clean_fields({field: value})[field]
    except ValidationError:
        return None


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_url_fuzz(value):
    url = accepted("url", value)
    if url is not None:
        assert not url.startswith("-") and "::" not in url.split("/", 1)[0]
        assert not any(ord(c) < 33 or ord(c) == 127 for c in url)
        assert git.protocol_of(url) in ("ssh", "https", "file")


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_branch_and_tag_fuzz(value):
    for field in ("branch", "tag"):
        ref = accepted(field, value)
        if ref not in (None, ""):
            assert not ref.startswith(("-", "/", ".")) and ".." not in ref and "@{" not in ref
            assert all(c.isalnum() and c.isascii() or c in "._/+-" for c in ref)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_path_and_commit_fuzz(value):
    path = accepted("path", value)
    if path:
        assert not path.startswith(("-", "/")) and ".." not in path.split("/")
        assert not any(ord(c) < 33 and c != " " or ord(c) == 127 for c in path)
    commit = accepted("pinned_commit", value)
    if commit:
        assert all(c in "0123456789abcdef" for c in commit) and 7 <= len(commit) <= 40


@pytest.mark.django_db
def test_option_looking_values_never_reach_git(git_repo, make_repository, sync, tmp_path):
    """Even a value written straight to the row (bypassing the checks) fails before git runs it."""
    from apps.gitsync.models import Repository
    from tests.gitsync.conftest import runbook_yaml

    git_repo.commit("one", {"a.yaml": runbook_yaml("Alpha")})
    repository = make_repository(git_repo.url)
    marker = tmp_path / "pwned"
    Repository.objects.filter(pk=repository.pk).update(branch=f"--upload-pack=touch {marker}")
    repository.refresh_from_db()
    run = sync(repository)
    assert run.status == "failed" and "not a valid branch name" in run.error and not marker.exists()
    Repository.objects.filter(pk=repository.pk).update(branch="main", url=f"ext::sh -c touch% {marker}")
    repository.refresh_from_db()
    run = sync(repository)
    assert run.status == "failed" and not marker.exists()
