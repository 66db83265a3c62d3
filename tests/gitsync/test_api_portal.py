"""API, portal and admin: secrets write-only, Sync now, rollback by pin, read-only Git-managed runbooks,
roles, and another organisation's repository a 404."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.gitsync.choices import SyncStatus, Trigger
from apps.gitsync.models import Repository
from apps.runbooks.models import Runbook

from .conftest import runbook_yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(git_repo, make_repository, sync):
    first = git_repo.commit("v1", {"runbooks/a.yaml": runbook_yaml("Alpha", command="echo v1")})
    git_repo.commit("v2", {"runbooks/a.yaml": runbook_yaml("Alpha", command="echo v2")})
    repository = make_repository(git_repo.url, web_url="https://github.com/acme/runbooks", token="tok-123",
                                 webhook_provider="github", webhook_secret="whs")
    sync(repository)
    repository.first_sha = first
    return repository


def test_api_lists_repositories_with_secrets_write_only(synced, users_a, api_client_for):
    client = api_client_for(users_a["admin"], synced.organization)
    data = client.get(f"/api/v1/gitsync/repositories/{synced.pk}/").json()
    assert data["token_set"] is True and "token" not in data and data["webhook_secret_set"] is True
    assert "tok-123" not in str(data) and data["webhook_url"].endswith(f"/hooks/gitsync/{synced.webhook_token}/")
    viewer = api_client_for(users_a["viewer"], synced.organization).get(f"/api/v1/gitsync/repositories/{synced.pk}/")
    assert "webhook_url" not in viewer.json()
    runs = client.get("/api/v1/gitsync/sync-runs/", {"repository": synced.pk}).json()
    assert runs["results"][0]["files"][0]["path"] == "runbooks/a.yaml"


def test_api_create_refuses_injection_and_changes_nothing(users_a, org_a, api_client_for):
    client = api_client_for(users_a["admin"], org_a)
    for field, value in [
        ("url", "--upload-pack=touch /tmp/pwned"), ("url", "ext::sh -c touch% /tmp/pwned"),
        ("url", "git://example.com/x.git"), ("url", "file://host/etc"), ("branch", "--output=/tmp/x"),
        ("branch", "main..evil"), ("path", "../../etc"), ("pinned_commit", "HEAD~1"), ("tag", "-v"),
    ]:
        body = {"name": f"bad {field}", "url": "https://example.com/r.git", field: value}
        response = client.post("/api/v1/gitsync/repositories/", body, format="json")
        assert response.status_code == 400, (field, value, response.content)
        assert field in response.json()["error"]["fields"], response.json()
    assert not Repository.objects.exists()
    ok = client.post("/api/v1/gitsync/repositories/", {"name": "ok", "url": "git@github.com:acme/runbooks.git",
                                                       "auth_method": "ssh_key"}, format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["ssh_public_key"].startswith("ssh-ed25519 ") and ok.json()["ssh_private_key_set"] is True
    assert Repository.objects.get().interval_seconds == 180


def test_api_sync_now_and_pin_rollback(synced, users_a, api_client_for, django_capture_on_commit_callbacks):
    operator = api_client_for(users_a["operator"], synced.organization)
    with django_capture_on_commit_callbacks(execute=True):
        assert operator.post(f"/api/v1/gitsync/repositories/{synced.pk}/sync/").status_code == 202
    assert synced.runs.first().trigger == Trigger.MANUAL and synced.runs.first().status == SyncStatus.NO_CHANGE
    pin_url = f"/api/v1/gitsync/repositories/{synced.pk}/pin/"
    assert operator.post(pin_url, {"commit": synced.first_sha}).status_code == 403
    admin = api_client_for(users_a["admin"], synced.organization)
    bad = admin.post(f"/api/v1/gitsync/repositories/{synced.pk}/pin/", {"commit": "--all"}, format="json")
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        pinned = admin.post(pin_url, {"commit": synced.first_sha}, format="json")
    assert pinned.status_code == 200 and pinned.json()["pinned_commit"] == synced.first_sha
    assert synced.runs.first().trigger == Trigger.ROLLBACK
    assert Runbook.objects.get(slug="alpha").steps[0]["command_linux"] == "echo v1"


def test_git_managed_runbook_is_read_only_in_the_api_and_shows_its_file(synced, users_a, api_client_for):
    client = api_client_for(users_a["admin"], synced.organization)
    alpha = Runbook.objects.get(slug="alpha")
    response = client.patch(f"/api/v1/runbooks/{alpha.pk}/", {"description": "edited"}, format="json")
    assert response.status_code == 400 and "managed by Git" in str(response.json())
    version = alpha.versions.first()
    restore = client.post(f"/api/v1/runbook-versions/{version.pk}/restore/")
    assert restore.status_code in (404, 409)
    alpha.refresh_from_db()
    assert alpha.description == "A runbook" and alpha.version == 1


def test_portal_pages_and_read_only_badge(synced, users_a, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(users_a["operator"])
    listing = client.get("/gitsync/")
    assert listing.status_code == 200 and synced.name in listing.content.decode()
    detail = client.get(f"/gitsync/{synced.pk}/").content.decode()
    assert "Sync history" in detail and "runbooks/a.yaml" in detail
    run = synced.runs.get()
    page = client.get(f"/gitsync/runs/{run.pk}/").content.decode()
    assert f"https://github.com/acme/runbooks/blob/{run.commit_sha}/runbooks/a.yaml" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/gitsync/{synced.pk}/sync/").status_code == 302
    assert synced.runs.count() == 2
    alpha = Runbook.objects.get(slug="alpha")
    admin = Client()
    admin.force_login(users_a["admin"])
    runbook_page = admin.get(f"/runbooks/{alpha.pk}/").content.decode()
    assert "Managed by Git" in runbook_page and "Edit YAML" not in runbook_page
    assert f"blob/{run.commit_sha}/runbooks/a.yaml" in runbook_page
    viewer = Client()
    viewer.force_login(users_a["viewer"])
    assert viewer.post(f"/gitsync/{synced.pk}/sync/").status_code == 403


def test_another_organisations_repository_is_a_404(synced, users_b, api_client_for, org_b):
    client = api_client_for(users_b["owner"], org_b)
    assert client.get(f"/api/v1/gitsync/repositories/{synced.pk}/").status_code == 404
    assert client.post(f"/api/v1/gitsync/repositories/{synced.pk}/sync/").status_code == 404
    portal = Client()
    portal.force_login(users_b["owner"])
    assert portal.get(f"/gitsync/{synced.pk}/").status_code == 404
    assert portal.post(f"/gitsync/{synced.pk}/sync/").status_code == 404


def test_admin_sync_now_and_test_connection(synced, users_a, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(users_a["admin"])
    url = "/admin/gitsync/repository/"
    assert client.get(url).status_code == 200
    change = client.get(f"{url}{synced.pk}/change/").content.decode()
    assert "tok-123" not in change and "whs" not in change
    response = client.post(url, {"action": "test_connection", "_selected_action": [synced.pk]}, follow=True)
    assert "reachable" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "sync_now", "_selected_action": [synced.pk]})
    assert synced.runs.count() == 2
