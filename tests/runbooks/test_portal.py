"""Portal pages: runbook list and detail (YAML, history, restore), dry run and run forms, execution
pages with the polled live fragment and htmx approve, the alert-page panel and the dashboard card."""

import pytest
from django.urls import reverse

from apps.runbooks.models import RunbookExecution
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(http_stub):
    return http_stub(name="svc")


@pytest.fixture
def runbook(import_yaml, api):
    return import_yaml(f"""
# Restart the web tier
name: Poke web
description: Pokes the web tier
execution: {{mode: semi_auto}}
triggers: [{{alert_pattern: "HighError*"}}]
steps:
  - {{name: poke, type: api, method: POST, endpoint: "{api.url}/poke/{{{{service}}}}"}}
""")


def login(client, user):
    client.force_login(user)
    return client


def test_list_and_detail_show_yaml_and_history(client, users_a, runbook, import_yaml):
    login(client, users_a["viewer"])
    page = client.get(reverse("runbooks:list"))
    assert page.status_code == 200 and "Poke web" in page.content.decode()
    import_yaml(runbook.versions.get().yaml_text.replace("Pokes the web tier", "Pokes it harder"))
    detail = client.get(reverse("runbooks:detail", args=[runbook.pk])).content.decode()
    assert "endpoint:" in detail and "Pokes it harder" in detail
    assert "# Restart the web tier" in detail  # the stored version text, comments included
    assert "v2" in detail and "v1" in detail
    assert 'id="runbook-run"' not in detail  # viewers get no run form
    assert client.post(reverse("runbooks:restore", args=[runbook.pk, 1])).status_code == 403


def test_admin_restores_an_old_version(client, users_a, runbook, import_yaml):
    import_yaml(runbook.versions.get().yaml_text.replace("Pokes the web tier", "Changed"))
    login(client, users_a["admin"])
    response = client.post(reverse("runbooks:restore", args=[runbook.pk, 1]))
    assert response.status_code == 302
    runbook.refresh_from_db()
    assert runbook.version == 3 and runbook.description == "Pokes the web tier"


def test_dry_run_then_request_then_approve_with_htmx(
    client, users_a, runbook, api, django_capture_on_commit_callbacks
):
    login(client, users_a["operator"])
    url = reverse("runbooks:run", args=[runbook.pk])
    dry = client.post(url, {"param_service": "a b", "dry_run": "1"})
    assert dry.status_code == 200
    assert f"POST {api.url}/poke/a%20b" in dry.content.decode() and not RunbookExecution.objects.exists()
    response = client.post(url, {"param_service": "web", "reason": "errors since 14:02"})
    execution = RunbookExecution.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "runbooks:execution-detail", args=[execution.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "errors since 14:02" in page and 'hx-trigger="every 2s"' in page and 'id="approve-button"' in page
    # The requester may not approve; a second operator does, through the htmx button.
    own = client.post(
        reverse("runbooks:execution-action", args=[execution.pk, "approve"]), HTTP_HX_REQUEST="true"
    )
    assert own.status_code == 200
    execution.refresh_from_db()
    assert execution.status == "pending_approval"
    login(client, users_a["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        fragment = client.post(
            reverse("runbooks:execution-action", args=[execution.pk, "approve"]),
            {"note": "go"},
            HTTP_HX_REQUEST="true",
        )
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    live = client.get(reverse("runbooks:execution-live", args=[execution.pk])).content.decode()
    assert "Succeeded" in live and "every 2s" not in live  # finished: polling stops
    assert [r.path for r in api.requests] == ["/poke/web"]


def test_refused_run_shows_the_reason(client, users_a, runbook):
    login(client, users_a["operator"])
    response = client.post(reverse("runbooks:run", args=[runbook.pk]), {}, follow=True)
    assert (
        "Not run: " in response.content.decode() and "no value for {{service}}" in response.content.decode()
    )


def test_viewer_cannot_run_or_decide(client, users_a, runbook):
    login(client, users_a["viewer"])
    assert client.post(reverse("runbooks:run", args=[runbook.pk]), {"param_service": "x"}).status_code == 403
    assert not RunbookExecution.objects.exists()


def test_other_organisation_pages_are_404(client, users_b, runbook):
    login(client, users_b["owner"])
    assert client.get(reverse("runbooks:detail", args=[runbook.pk])).status_code == 404
    assert client.post(reverse("runbooks:run", args=[runbook.pk]), {"param_service": "x"}).status_code == 404


def test_alert_page_suggests_matching_runbooks_with_a_run_form(
    client, org_a, users_a, runbook, import_yaml, django_capture_on_commit_callbacks
):
    import_yaml("name: Unrelated\ntriggers: [{alert_pattern: DiskFull}]\nsteps: [{name: s, command: df}]\n")
    alert = AlertFactory(organization=org_a, name="HighErrorRate", labels={"service": "checkout"})
    login(client, users_a["operator"])
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert 'id="panel-runbooks"' in page and "Poke web" in page and "Unrelated" not in page
    assert 'value="checkout"' in page  # the parameter is prefilled from the alert label
    response = client.post(
        reverse("runbooks:run", args=[runbook.pk]),
        {
            "form_prefix": f"rb{runbook.pk}",
            f"rb{runbook.pk}-param_service": "checkout",
            "alert": alert.pk,
            "next": reverse("alerts:detail", args=[alert.pk]),
        },
    )
    assert response.status_code == 302
    execution = RunbookExecution.objects.get()
    assert execution.alert == alert and execution.parameters == {"service": "checkout"}
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert f"Poke web #{execution.pk}" in page


def test_dashboard_card_counts_waiting_approvals(client, users_a, runbook, on_commit):
    from apps.runbooks.services import execution_request_manual

    on_commit(execution_request_manual, runbook=runbook, user=users_a["operator"], inputs={"service": "x"})
    login(client, users_a["viewer"])
    page = client.get(reverse("dashboard")).content.decode()
    assert 'id="panel-runbook-approvals"' in page and "Poke web #" in page
