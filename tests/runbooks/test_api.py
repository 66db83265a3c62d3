"""The REST API: runbooks as JSON documents, YAML import (body, JSON, uploads) with line-numbered
errors, YAML export, run and dry run with refusals as 409, SSH target secrets write-only, roles."""

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.runbooks.models import Runbook, RunbookExecution, SshTarget

from .conftest import spec_yaml

pytestmark = pytest.mark.django_db

SIMPLE = "name: Hello\nsteps:\n  - {name: hi, type: api, endpoint: 'http://127.0.0.1:9/hi'}\n"


@pytest.fixture
def admin(org_a, users_a, api_client_for):
    return api_client_for(users_a["admin"], org_a)


def test_import_raw_yaml_then_export_it(admin, org_a, users_a):
    response = admin.post("/api/v1/runbooks/import", data=spec_yaml(), content_type="application/yaml")
    assert response.status_code == 201, response.content
    [result] = response.json()["results"]
    runbook = Runbook.objects.get(pk=result["id"])
    assert (runbook.organization, runbook.created_by, runbook.mode) == (org_a, users_a["admin"], "semi_auto")
    version = runbook.versions.get()
    assert version.yaml_text == spec_yaml() and version.created_by == users_a["admin"]  # comments kept
    exported = admin.get(f"/api/v1/runbooks/{runbook.pk}/yaml")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(exported.content) == yaml.safe_load(spec_yaml())
    again = admin.post("/api/v1/runbooks/import", data=spec_yaml(), content_type="text/plain")
    assert again.status_code == 200 and again.json()["results"][0]["outcome"] == "unchanged"
    assert runbook.versions.count() == 1


def test_import_uploaded_files_is_all_or_nothing(admin):
    good = SimpleUploadedFile("hello.yaml", SIMPLE.encode())
    bad = SimpleUploadedFile(
        "broken.yaml", b"name: Broken\nsteps:\n  - name: a\n    command: ls\n    timeout: soon\n"
    )
    response = admin.post("/api/v1/runbooks/import", {"file": [good, bad]}, format="multipart")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"broken.yaml": ["line 5: steps[0].timeout must be an integer"]}
    assert not Runbook.objects.exists()
    response = admin.post(
        "/api/v1/runbooks/import",
        {"file": [SimpleUploadedFile("hello.yaml", SIMPLE.encode())]},
        format="multipart",
    )
    assert response.status_code == 201
    assert Runbook.objects.get().source_path == "hello.yaml"


def test_import_json_wrapped_yaml_and_empty_body(admin):
    assert admin.post("/api/v1/runbooks/import", {"yaml": SIMPLE}, format="json").status_code == 201
    response = admin.post("/api/v1/runbooks/import", {}, format="json")
    assert response.status_code == 400 and "yaml" in response.json()["error"]["fields"]
    response = admin.post("/api/v1/runbooks/import", data="name: [unclosed", content_type="application/yaml")
    assert response.status_code == 400
    [message] = response.json()["error"]["fields"]["body"]
    assert message.startswith("line 1: document is not valid YAML")


def test_create_update_and_history_through_json(admin, users_a):
    document = yaml.safe_load(SIMPLE)
    response = admin.post("/api/v1/runbooks/", document, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "hello" and body["steps"][0]["endpoint"] == "http://127.0.0.1:9/hi"
    assert body["execution"]["mode"] == "manual"
    url = f"/api/v1/runbooks/{body['id']}"
    response = admin.patch(url, {"execution": {"mode": "semi_auto"}}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    response = admin.patch(
        url, {"steps": [{"name": "x", "type": "api", "timeout_seconds": "soon"}]}, format="json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields == {
        "steps[0].endpoint": ["is required"],
        "steps[0].timeout_seconds": ["must be an integer"],
    }
    versions = admin.get("/api/v1/runbook-versions/", {"runbook": body["id"]}).json()["results"]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["created_by"] == users_a["admin"].username
    restored = admin.post(f"/api/v1/runbook-versions/{versions[1]['id']}/restore")
    assert restored.status_code == 200
    assert restored.json()["version"] == 3 and restored.json()["execution"]["mode"] == "manual"


def test_slug_clash_is_a_400_not_a_500(admin):
    first = admin.post("/api/v1/runbooks/", yaml.safe_load(SIMPLE), format="json").json()
    admin.post("/api/v1/runbooks/", {**yaml.safe_load(SIMPLE), "name": "Other"}, format="json")
    other = Runbook.objects.get(slug="other")
    response = admin.patch(f"/api/v1/runbooks/{other.pk}", {"slug": first["slug"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"slug": ["'hello' is already used by another runbook"]}


def test_roles(org_a, users_a, api_client_for, http_stub, django_capture_on_commit_callbacks):
    api = http_stub(name="svc")
    viewer, operator = (api_client_for(users_a[r], org_a) for r in ("viewer", "operator"))
    runbook_text = f"name: Poke\nsteps:\n  - {{name: p, type: api, endpoint: '{api.url}/p'}}\n"
    assert (
        operator.post(
            "/api/v1/runbooks/import", data=runbook_text, content_type="application/yaml"
        ).status_code
        == 403
    )
    admin = api_client_for(users_a["admin"], org_a)
    runbook_id = admin.post(
        "/api/v1/runbooks/import", data=runbook_text, content_type="application/yaml"
    ).json()["results"][0]["id"]
    assert viewer.get(f"/api/v1/runbooks/{runbook_id}/yaml").status_code == 200
    assert viewer.post(f"/api/v1/runbooks/{runbook_id}/run", {}, format="json").status_code == 403
    assert operator.patch(f"/api/v1/runbooks/{runbook_id}", {"name": "x"}, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(f"/api/v1/runbooks/{runbook_id}/run", {"reason": "test"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "approved"
    assert RunbookExecution.objects.get().status == "succeeded" and len(api.requests) == 1


def test_run_dry_run_and_refusal(org_a, users_a, api_client_for, import_yaml):
    from tests.runbooks.factories import SshTargetFactory

    target = SshTargetFactory(organization=org_a, host="10.0.0.7")
    runbook = import_yaml("""
name: Restart
execution: {mode: manual, max_executions_per_hour: 1}
steps: [{name: r, command: "systemctl restart {{service}}"}]
""")
    operator = api_client_for(users_a["operator"], org_a)
    url = f"/api/v1/runbooks/{runbook.pk}/run"
    response = operator.post(
        url, {"dry_run": True, "target": target.pk, "parameters": {"service": "a b"}}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["steps"][0]["display"] == "systemctl restart 'a b'"
    assert body["target"]["host"] == "10.0.0.7" and not RunbookExecution.objects.exists()
    response = operator.post(url, {"dry_run": True, "parameters": {"service": "a"}}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_target"
    assert (
        operator.post(url, {"target": target.pk, "parameters": {"service": "a"}}, format="json").status_code
        == 201
    )
    response = operator.post(url, {"target": target.pk, "parameters": {"service": "a"}}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] in ("duplicate", "rate_limited")


def test_run_refuses_other_organisations_alert_and_target(org_a, org_b, users_a, api_client_for, import_yaml):
    from tests.alerts.factories import AlertFactory
    from tests.runbooks.factories import SshTargetFactory

    runbook = import_yaml("name: R\nsteps: [{name: r, command: uptime}]\n")
    foreign_alert, foreign_target = AlertFactory(organization=org_b), SshTargetFactory(organization=org_b)
    operator = api_client_for(users_a["operator"], org_a)
    response = operator.post(
        f"/api/v1/runbooks/{runbook.pk}/run",
        {"alert": foreign_alert.pk, "target": foreign_target.pk, "dry_run": True},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"alert", "target"}


def test_ssh_target_secrets_are_write_only(admin, sshd_server):
    response = admin.post(
        "/api/v1/ssh-targets/",
        {
            "name": "web-1",
            "host": "127.0.0.1",
            "port": 2222,
            "username": "deploy",
            "private_key": sshd_server.client_key,
            "host_key": sshd_server.known_hosts_line,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "private_key" not in body and body["private_key_set"] is True and body["password_set"] is False
    assert body["host_key"] == sshd_server.host_public_key  # a known_hosts line is normalised to the key
    target = SshTarget.objects.get()
    assert target.private_key == sshd_server.client_key.strip()
    assert (
        admin.patch(f"/api/v1/ssh-targets/{target.pk}", {"private_key": ""}, format="json").status_code == 200
    )
    target.refresh_from_db()
    assert target.private_key == sshd_server.client_key.strip()  # empty keeps the stored secret
    bad = admin.post(
        "/api/v1/ssh-targets/",
        {"name": "x", "host": "h", "username": "u", "private_key": "nope", "host_key": "ssh-ed25519 AAAA"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) >= {"host_key"}
    none = admin.post("/api/v1/ssh-targets/", {"name": "y", "host": "h", "username": "u"}, format="json")
    assert none.status_code == 400 and none.json()["error"]["fields"] == {
        "private_key": ["give a private key or a password"]
    }
