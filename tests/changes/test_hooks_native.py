"""Native receivers: signed GitHub deliveries, GitLab deployment events, Argo CD notifications."""

import json

import pytest

from apps.changes.models import ChangeEvent
from tests.changes.conftest import GITHUB_SECRET, github_signature, payload, post_change, post_github
from tests.changes.factories import ChangeSourceFactory

# --- GitHub -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_deployment_status_is_recorded(client, github_source):
    response = post_github(client, github_source, "deployment_status", payload("github_deployment_status.json"))
    assert response.status_code == 202, response.content
    change = ChangeEvent.objects.get()
    assert (change.source, change.event_type, change.service, change.environment) == (
        "github",
        "deployment",
        "payment-api",
        "production",
    )
    assert change.version == "v2.3.1"  # the ref is a tag
    assert change.commit_sha == "9f2c1a4e6b7d8c0e1f2a3b4c5d6e7f8091a2b3c4"
    assert change.author == "octo-deployer" and change.status == "completed"
    assert change.description == "Deploy payment service with new retry logic"
    assert change.started_at.isoformat() == "2024-12-06T15:00:00+00:00"
    assert change.finished_at.isoformat() == "2024-12-06T15:04:10+00:00" and change.duration_seconds == 250
    assert change.url == "https://github.com/acme/payment-api/actions/runs/7102938475"
    assert change.external_id == "deployment:acme/payment-api:1459887461"


@pytest.mark.django_db
def test_wrong_or_missing_signature_is_rejected(client, github_source):
    body = payload("github_deployment_status.json")
    wrong = post_github(client, github_source, "deployment_status", body, secret="not the secret")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_signature"
    tampered_sig = github_signature(GITHUB_SECRET, json.dumps(body).encode())
    body["deployment"]["environment"] = "staging"  # the body changed after signing
    assert post_github(client, github_source, "deployment_status", body, signature=tampered_sig).status_code == 401
    missing = post_github(client, github_source, "deployment_status", body, secret=None)
    assert missing.status_code == 401
    sha1_style = post_github(client, github_source, "deployment_status", body, signature="sha1=abcdef")
    assert sha1_style.status_code == 401
    assert not ChangeEvent.objects.exists()


@pytest.mark.django_db
def test_ping_is_answered_and_unknown_events_are_ignored(client, github_source):
    ping = {"zen": "Keep it logically awesome.", "hook_id": 12345678, "hook": {"type": "Repository"}}
    response = post_github(client, github_source, "ping", ping)
    assert response.status_code == 200 and response.json() == {"status": "pong"}
    push = post_github(client, github_source, "push", {"ref": "refs/heads/main"})
    assert push.status_code == 200 and push.json()["status"] == "ignored"
    assert not ChangeEvent.objects.exists()


@pytest.mark.django_db
def test_deployment_statuses_update_one_change_and_replays_change_nothing(client, github_source):
    body = payload("github_deployment_status.json")
    in_progress = json.loads(json.dumps(body))
    in_progress["deployment_status"].update(
        {"state": "in_progress", "created_at": "2024-12-06T15:00:05Z", "id": 2099162540}
    )
    assert post_github(client, github_source, "deployment_status", in_progress).json()["result"] == "created"
    change = ChangeEvent.objects.get()
    assert change.status == "started" and change.finished_at is None
    assert post_github(client, github_source, "deployment_status", body).json()["result"] == "updated"
    assert post_github(client, github_source, "deployment_status", body).json()["result"] == "unchanged"
    change.refresh_from_db()
    assert ChangeEvent.objects.count() == 1 and change.status == "completed" and change.duration_seconds == 250
    inactive = json.loads(json.dumps(body))
    inactive["deployment_status"]["state"] = "inactive"
    assert post_github(client, github_source, "deployment_status", inactive).json()["status"] == "ignored"


@pytest.mark.django_db
def test_failed_deployment_and_rollback_task(client, github_source):
    body = payload("github_deployment_status.json")
    body["deployment_status"]["state"] = "failure"
    body["deployment"]["task"] = "deploy:rollback"
    body["deployment"]["ref"] = "main"
    assert post_github(client, github_source, "deployment_status", body).status_code == 202
    change = ChangeEvent.objects.get()
    assert change.status == "failed" and change.event_type == "rollback"
    assert change.version == "9f2c1a4e6b7d"  # a branch ref is not a version: the short sha is


@pytest.mark.django_db
def test_workflow_run_completed_is_a_deployment(client, org_a):
    source = ChangeSourceFactory(
        organization=org_a,
        kind="github",
        secret=GITHUB_SECRET,
        default_environment="production",
        workflows="Deploy",
        service_map={"acme/payment-api": "payment-service"},
    )
    response = post_github(client, source, "workflow_run", payload("github_workflow_run.json"))
    assert response.status_code == 202, response.content
    change = ChangeEvent.objects.get()
    assert change.service == "payment-service" and change.environment == "production"
    assert change.commit_sha == "3484a3fb816e0859fd6e1cea078d76385ff50625" and change.version == "3484a3fb816e"
    assert change.description == "Deploy #163: Raise the connection pool to 50"
    assert change.author == "mona" and change.status == "completed"
    assert (change.started_at.isoformat(), change.finished_at.isoformat()) == (
        "2024-12-06T14:55:02+00:00",
        "2024-12-06T15:00:00+00:00",
    )


@pytest.mark.django_db
def test_workflow_runs_that_deploy_nothing_are_ignored(client, org_a):
    source = ChangeSourceFactory(organization=org_a, kind="github", secret=GITHUB_SECRET, workflows="Deploy")
    ci = payload("github_workflow_run.json")
    ci["workflow_run"]["name"] = "CI"
    assert post_github(client, source, "workflow_run", ci).json()["status"] == "ignored"
    requested = payload("github_workflow_run.json")
    requested["action"] = "requested"
    assert post_github(client, source, "workflow_run", requested).json()["status"] == "ignored"
    skipped = payload("github_workflow_run.json")
    skipped["workflow_run"]["conclusion"] = "skipped"
    assert post_github(client, source, "workflow_run", skipped).json()["status"] == "ignored"
    assert not ChangeEvent.objects.exists()


@pytest.mark.django_db
def test_malformed_github_delivery_is_a_400(client, github_source):
    body = payload("github_deployment_status.json")
    del body["deployment"]
    response = post_github(client, github_source, "deployment_status", body)
    assert response.status_code == 400 and "deployment" in response.json()["error"]["fields"]
    body = payload("github_deployment_status.json")
    body["deployment_status"]["state"] = "exploded"
    assert post_github(client, github_source, "deployment_status", body).status_code == 400
    raw = b"not json"
    headers = {
        "HTTP_X_GITHUB_EVENT": "deployment_status",
        "HTTP_X_HUB_SIGNATURE_256": github_signature(GITHUB_SECRET, raw),
    }
    assert post_change(client, github_source, raw, headers=headers).status_code == 400
    no_event = {"HTTP_X_HUB_SIGNATURE_256": github_signature(GITHUB_SECRET, b"{}")}
    assert post_change(client, github_source, b"{}", headers=no_event).json()["error"]["code"] == "missing_event"
    assert not ChangeEvent.objects.exists()


# --- GitLab -------------------------------------------------------------------------------------


@pytest.fixture
def gitlab_source(org_a):
    return ChangeSourceFactory(organization=org_a, kind="gitlab", secret="gl-token")


def post_gitlab(client, source, body, *, token="gl-token", event="Deployment Hook"):
    headers = {"HTTP_X_GITLAB_EVENT": event}
    if token is not None:
        headers["HTTP_X_GITLAB_TOKEN"] = token
    return post_change(client, source, body, headers=headers)


@pytest.mark.django_db
def test_gitlab_running_then_success_is_one_change(client, gitlab_source):
    running = payload("gitlab_deployment.json")
    running.update({"status": "running", "status_changed_at": "2024-12-06 16:00:00 +0100"})
    assert post_gitlab(client, gitlab_source, running).json()["result"] == "created"
    assert post_gitlab(client, gitlab_source, payload("gitlab_deployment.json")).json()["result"] == "updated"
    assert post_gitlab(client, gitlab_source, payload("gitlab_deployment.json")).json()["result"] == "unchanged"
    change = ChangeEvent.objects.get()
    assert (change.source, change.service, change.environment, change.status) == (
        "gitlab",
        "checkout",
        "production",
        "completed",
    )
    assert change.started_at.isoformat() == "2024-12-06T15:00:00+00:00"  # 16:00 +0100
    assert change.finished_at.isoformat() == "2024-12-06T15:04:10+00:00" and change.duration_seconds == 250
    assert change.commit_sha == "279484c09fbe69ededfced8c1bb6e6d24616b468" and change.version == "279484c0"
    assert change.author == "root" and change.description == "Switch checkout to the new tax service"
    assert change.external_id == "deployment:30:15"


@pytest.mark.django_db
def test_gitlab_token_is_checked_and_other_events_ignored(client, gitlab_source):
    body = payload("gitlab_deployment.json")
    assert post_gitlab(client, gitlab_source, body, token="wrong").status_code == 401
    assert post_gitlab(client, gitlab_source, body, token=None).status_code == 401
    push = post_gitlab(client, gitlab_source, {"object_kind": "push"}, event="Push Hook")
    assert push.status_code == 200 and push.json()["status"] == "ignored"
    bad = {**body, "status": "exploded"}
    assert post_gitlab(client, gitlab_source, bad).status_code == 400
    wrong_kind = {**body, "object_kind": "pipeline"}
    assert post_gitlab(client, gitlab_source, wrong_kind).json()["error"]["fields"]["object_kind"]
    assert not ChangeEvent.objects.exists()


# --- Argo CD ------------------------------------------------------------------------------------


@pytest.fixture
def argocd_source(org_a):
    return ChangeSourceFactory(organization=org_a, kind="argocd", default_environment="production")


@pytest.mark.django_db
def test_argocd_sync_running_then_succeeded(client, argocd_source):
    running = payload("argocd_sync.json")
    running.update({"phase": "Running", "finished_at": "<no value>", "sync_status": "OutOfSync"})
    assert post_change(client, argocd_source, running).json()["result"] == "created"
    assert post_change(client, argocd_source, payload("argocd_sync.json")).json()["result"] == "updated"
    change = ChangeEvent.objects.get()
    assert (change.source, change.service, change.environment, change.status) == (
        "argocd",
        "inventory",
        "production",
        "completed",
    )
    assert change.commit_sha == "a3f1c9e2d4b5a6978877665544332211aabbccdd" and change.version == "a3f1c9e2d4b5"
    assert change.author == "automated sync"  # "<no value>" (Go's missing field) reads as empty
    assert change.duration_seconds == 42 and change.metadata["health_status"] == "Progressing"
    assert change.url == "https://argocd.example.com/applications/inventory"


@pytest.mark.django_db
def test_argocd_bad_bodies(client, argocd_source):
    body = payload("argocd_sync.json")
    assert post_change(client, argocd_source, {**body, "app": ""}).json()["error"]["fields"]["app"]
    assert post_change(client, argocd_source, {**body, "phase": "Exploded"}).status_code == 400
    assert post_change(client, argocd_source, {**body, "started_at": "soon"}).status_code == 400
    terminating = post_change(client, argocd_source, {**body, "phase": "Terminating"})
    assert terminating.status_code == 200 and terminating.json()["status"] == "ignored"
    assert not ChangeEvent.objects.exists()
