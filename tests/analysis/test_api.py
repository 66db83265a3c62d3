"""REST API: providers (key write-only, test action), policy, analyses, and POST .../analyze."""

import pytest
from django.db import connection

from apps.analysis import incident_support, services
from apps.analysis.models import Analysis, LLMCall, LLMProvider
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertFactory

from .conftest import openai_completion
from .factories import AnalysisFactory, LLMProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(users_a, org_a, api_client_for):
    return api_client_for(users_a["admin"], org_a)


def test_provider_key_is_write_only_and_encrypted(admin_api, org_a):
    response = admin_api.post(
        "/api/v1/llm-providers/",
        {
            "name": "Local Ollama",
            "kind": "openai",
            "base_url": "http://127.0.0.1:11434/v1",
            "model": "llama3.1:8b",
            "api_key": "sk-secret-value",
            "json_mode": "json_schema",
            "rate_limit_per_minute": 30,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["api_key_set"] is True and "api_key" not in body
    assert body["usage"] == {"calls_last_minute": 0, "tokens_today": 0}
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM analysis_llmprovider WHERE id = %s", [body["id"]])
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:") and "sk-secret-value" not in stored

    # An empty key on update keeps the stored one.
    response = admin_api.patch(
        f"/api/v1/llm-providers/{body['id']}/", {"api_key": "", "model": "qwen2.5:7b"}, format="json"
    )
    assert response.status_code == 200
    assert LLMProvider.objects.get(pk=body["id"]).api_key == "sk-secret-value"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x", "kind": "openai"}, "model"),
        ({"name": "x", "kind": "telepathy", "model": "m"}, "kind"),
        ({"name": "x", "kind": "openai", "model": "m", "base_url": "not a url"}, "base_url"),
        ({"name": "x", "kind": "openai", "model": "m", "max_retries": 50}, "max_retries"),
    ],
)
def test_provider_bad_input_is_a_400_naming_the_field(admin_api, payload, field):
    response = admin_api.post("/api/v1/llm-providers/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_provider_name_is_unique_per_organisation(admin_api, org_a, org_b):
    LLMProviderFactory(organization=org_b, name="Main")  # another organisation may use the name
    assert (
        admin_api.post(
            "/api/v1/llm-providers/", {"name": "Main", "kind": "builtin"}, format="json"
        ).status_code
        == 201
    )
    again = admin_api.post("/api/v1/llm-providers/", {"name": "Main", "kind": "builtin"}, format="json")
    assert again.status_code == 400 and "name" in again.json()["error"]["fields"]


def test_test_action(admin_api, users_a, org_a, api_client_for, openai_provider, openai_stub):
    openai_stub.respond(200, json=openai_completion('{"ok": true}'))
    response = admin_api.post(f"/api/v1/llm-providers/{openai_provider.pk}/test/")
    assert response.status_code == 200 and response.json()["last_test_ok"] is True
    operator = api_client_for(users_a["operator"], org_a)
    assert operator.post(f"/api/v1/llm-providers/{openai_provider.pk}/test/").status_code == 403


def test_analyze_alert_queues_and_runs(users_a, org_a, api_client_for, django_capture_on_commit_callbacks):
    alert = AlertFactory(organization=org_a, name="RedisDown", service="cache")
    client = api_client_for(users_a["operator"], org_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/alerts/{alert.pk}/analyze")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["alert"], body["version"], body["trigger"], body["status"]) == (
        alert.pk,
        1,
        "api",
        "pending",
    )
    listed = client.get(f"/api/v1/analyses/?alert={alert.pk}").json()["results"]
    assert [row["status"] for row in listed] == ["ok"] and "Redis" in listed[0]["root_cause"]
    assert Analysis.objects.get(pk=body["id"]).requested_by == users_a["operator"]


def test_analyze_checks_role_organisation_and_provider(users_a, users_b, org_a, org_b, api_client_for):
    alert = AlertFactory(organization=org_a)
    foreign_alert = AlertFactory(organization=org_b)
    foreign_provider = LLMProviderFactory(organization=org_b)
    operator = api_client_for(users_a["operator"], org_a)
    assert (
        api_client_for(users_a["viewer"], org_a).post(f"/api/v1/alerts/{alert.pk}/analyze").status_code == 403
    )
    assert operator.post(f"/api/v1/alerts/{foreign_alert.pk}/analyze").status_code == 404
    assert operator.post("/api/v1/alerts/999999/analyze").status_code == 404
    response = operator.post(
        f"/api/v1/alerts/{alert.pk}/analyze", {"provider": foreign_provider.pk}, format="json"
    )
    assert response.status_code == 400 and "provider" in response.json()["error"]["fields"]
    disabled = LLMProviderFactory(organization=org_a, enabled=False)
    response = operator.post(f"/api/v1/alerts/{alert.pk}/analyze", {"provider": disabled.pk}, format="json")
    assert response.status_code == 400 and "disabled" in str(response.json()["error"]["fields"]["provider"])
    assert not Analysis.objects.exists()


@pytest.mark.skipif(not incident_support.installed(), reason="apps.incidents is not installed")
def test_analyze_incident(users_a, org_a, org_b, api_client_for, django_capture_on_commit_callbacks):
    from tests.incidents.factories import IncidentAlertFactory, IncidentFactory

    link = IncidentAlertFactory(
        organization=org_a, alert=AlertFactory(organization=org_a, name="KubeNodeNotReady")
    )
    foreign = IncidentFactory(organization=org_b)
    client = api_client_for(users_a["operator"], org_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/incidents/{link.incident_id}/analyze/")
    assert response.status_code == 202
    assert response.json()["incident"] == link.incident_id and response.json()["subject_type"] == "incident"
    done = Analysis.objects.get(incident_id=link.incident_id)
    assert done.status == "ok" and "KubeNodeNotReady" in done.root_cause
    assert client.post(f"/api/v1/incidents/{foreign.pk}/analyze").status_code == 404


def test_reused_analysis_shows_its_source_sections(users_a, org_a, api_client_for):
    source = AnalysisFactory(organization=org_a, root_cause="Pool exhausted.")
    twin = AlertFactory(organization=org_a)
    reused = services.analysis_reuse(subject=Subject.for_alert(twin), source=source)
    body = api_client_for(users_a["viewer"], org_a).get(f"/api/v1/analyses/{reused.pk}/").json()
    assert body["status"] == "reused" and body["reused_from"] == source.pk
    assert body["root_cause"] == "Pool exhausted." and body["source_status"] == "ok"


def test_policy_is_one_per_organisation_and_validated(admin_api, org_b):
    foreign_provider = LLMProviderFactory(organization=org_b)
    bad = admin_api.post("/api/v1/analysis-policies/", {"severities": ["critical", "urgent"]}, format="json")
    assert bad.status_code == 400 and "severities" in bad.json()["error"]["fields"]
    bad = admin_api.post("/api/v1/analysis-policies/", {"provider": foreign_provider.pk}, format="json")
    assert bad.status_code == 400 and "provider" in bad.json()["error"]["fields"]
    ok = admin_api.post(
        "/api/v1/analysis-policies/", {"severities": ["critical"], "dedup_window_minutes": 30}, format="json"
    )
    assert ok.status_code == 201, ok.content
    again = admin_api.post("/api/v1/analysis-policies/", {}, format="json")
    assert again.status_code == 400 and "already has an analysis policy" in str(
        again.json()["error"]["fields"]
    )


def test_call_ledger_is_listed(users_a, org_a, api_client_for, openai_provider):
    LLMCall.objects.create(
        organization=org_a,
        provider=openai_provider,
        started_at="2026-01-01T00:00:00Z",
        status="ok",
        prompt_tokens=10,
        completion_tokens=5,
    )
    rows = (
        api_client_for(users_a["viewer"], org_a)
        .get(f"/api/v1/llm-calls/?provider={openai_provider.pk}")
        .json()
    )
    assert [(r["prompt_tokens"], r["completion_tokens"]) for r in rows["results"]] == [(10, 5)]
