"""Admin: provider settings with a write-only key and "test connection", the one policy, re-analysis."""

import pytest

from apps.analysis.models import Analysis, AnalysisPolicy, LLMProvider

from .conftest import openai_completion
from .factories import AnalysisFactory, LLMProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, users_a):
    users_a["admin"].is_staff = True
    users_a["admin"].save()
    client.force_login(users_a["admin"])
    return client


def test_provider_form_never_shows_the_key(admin_client, org_a):
    provider = LLMProviderFactory(organization=org_a, api_key="sk-very-secret")
    page = admin_client.get(f"/admin/analysis/llmprovider/{provider.pk}/change/").content.decode()
    assert "sk-very-secret" not in page and 'name="api_key"' in page


def test_provider_is_created_in_the_admins_organisation_with_a_unique_name(admin_client, org_a):
    form = {
        "name": "Ollama",
        "kind": "openai",
        "base_url": "http://127.0.0.1:11434/v1",
        "model": "llama3.1:8b",
        "api_key": "",
        "json_mode": "json_object",
        "temperature": "0.2",
        "max_output_tokens": "1500",
        "context_budget_tokens": "4000",
        "timeout_seconds": "60",
        "max_retries": "2",
        "enabled": "on",
    }
    response = admin_client.post("/admin/analysis/llmprovider/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LLMProvider.objects.get(name="Ollama").organization == org_a
    again = admin_client.post("/admin/analysis/llmprovider/add/", form)
    assert again.status_code == 200 and "A provider with this name already exists." in again.content.decode()
    missing_model = admin_client.post(
        "/admin/analysis/llmprovider/add/", {**form, "name": "Other", "model": ""}
    )
    assert "A model name is required" in missing_model.content.decode()


def test_test_connection_action(admin_client, openai_provider, openai_stub):
    openai_stub.respond(200, json=openai_completion('{"ok": true}'))
    response = admin_client.post(
        "/admin/analysis/llmprovider/",
        {"action": "test_connection", "_selected_action": [openai_provider.pk]},
        follow=True,
    )
    assert "answered in" in response.content.decode()
    openai_provider.refresh_from_db()
    assert openai_provider.last_test_ok is True


def test_policy_cannot_be_added_twice(admin_client, org_a):
    assert admin_client.get("/admin/analysis/analysispolicy/add/").status_code == 200
    AnalysisPolicy.objects.create(organization=org_a)
    assert admin_client.get("/admin/analysis/analysispolicy/add/").status_code == 403


def test_reanalyse_action_queues_new_versions(admin_client, org_a):
    analysis = AnalysisFactory(organization=org_a)
    admin_client.post("/admin/analysis/analysis/", {"action": "reanalyse", "_selected_action": [analysis.pk]})
    assert list(
        Analysis.objects.filter(alert=analysis.alert).values_list("version", "status").order_by("version")
    ) == [(1, "ok"), (2, "pending")]
