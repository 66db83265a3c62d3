"""Portal: the analysis panel on the alert and incident pages, re-analyse over htmx, history, detail."""

import pytest

from apps.analysis import incident_support, services
from apps.analysis.choices import Trigger
from apps.analysis.models import Analysis
from apps.analysis.subjects import Subject
from tests.alerts.factories import AlertFactory

from .factories import AnalysisFactory

pytestmark = pytest.mark.django_db


def test_alert_page_shows_sections_evidence_and_provider(client, users_a, org_a):
    alert = AlertFactory(
        organization=org_a,
        name="KubePodCrashLooping",
        labels={"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "web-1"},
    )
    analysis = services.analysis_request(subject=Subject.for_alert(alert), trigger=Trigger.MANUAL)
    services.analysis_execute(analysis_id=analysis.pk)
    client.force_login(users_a["viewer"])
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert f'id="analysis-panel-alert-{alert.pk}"' in page and 'data-status="ok"' in page
    assert "keeps exiting and being restarted" in page  # root cause
    assert "kubectl logs -n shop web-1" in page  # a remediation command
    assert "Evidence:" in page and "[E1] The alert: KubePodCrashLooping" in page
    assert "Offline analyser (knowledge base)" in page
    assert "Analyse again" not in page  # viewers cannot re-analyse


def test_operator_reanalyses_over_htmx_and_the_panel_polls_until_done(
    client, users_a, org_a, django_capture_on_commit_callbacks
):
    alert = AlertFactory(organization=org_a, name="RedisDown")
    client.force_login(users_a["operator"])
    assert "Analyse</button>" in client.get(f"/alerts/{alert.pk}/").content.decode()
    response = client.post(f"/analysis/alerts/{alert.pk}/analyze/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'data-status="pending"' in body
    assert f'hx-get="/analysis/alerts/{alert.pk}/panel/"' in body and 'hx-trigger="every 2s"' in body

    services.analysis_execute(analysis_id=Analysis.objects.get(alert=alert).pk)
    panel = client.get(f"/analysis/alerts/{alert.pk}/panel/").content.decode()
    assert 'data-status="ok"' in panel and "hx-trigger" not in panel and "Redis" in panel

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/analysis/alerts/{alert.pk}/analyze/")  # without JavaScript
    assert response.status_code == 302 and response.url == f"/alerts/{alert.pk}/"
    assert list(
        Analysis.objects.filter(alert=alert).values_list("version", flat=True).order_by("version")
    ) == [1, 2]


def test_panel_and_reanalyse_respect_roles_and_organisations(client, users_a, org_a, org_b):
    mine = AlertFactory(organization=org_a)
    theirs = AlertFactory(organization=org_b)
    client.force_login(users_a["viewer"])
    assert client.post(f"/analysis/alerts/{mine.pk}/analyze/").status_code == 403
    client.force_login(users_a["operator"])
    assert client.get(f"/analysis/alerts/{theirs.pk}/panel/").status_code == 404
    assert client.post(f"/analysis/alerts/{theirs.pk}/analyze/").status_code == 404
    assert not Analysis.objects.exists()


def test_failed_and_fallback_analyses_are_visible(client, users_a, org_a):
    failed = AnalysisFactory(
        organization=org_a,
        status="failed",
        provider_kind="openai",
        failure_reason="OpenAI: api.openai.com rate limited the request (HTTP 429)",
    )
    AnalysisFactory(organization=org_a, alert=failed.alert, version=2, fallback_of=failed, trigger="fallback")
    client.force_login(users_a["viewer"])
    page = client.get(f"/alerts/{failed.alert_id}/").content.decode()
    assert "The LLM provider failed; this is the offline analysis." in page
    assert "rate limited the request (HTTP 429)" in page and "2 versions" in page


def test_reused_analysis_links_its_source(client, users_a, org_a):
    source = AnalysisFactory(organization=org_a, root_cause="Connection pool exhausted on checkout.")
    twin = AlertFactory(organization=org_a)
    services.analysis_reuse(subject=Subject.for_alert(twin), source=source)
    client.force_login(users_a["viewer"])
    page = client.get(f"/alerts/{twin.pk}/").content.decode()
    assert "Connection pool exhausted on checkout." in page and "no new provider call was made" in page
    assert f'href="/analysis/{source.pk}/"' in page


def test_history_and_detail_pages(client, users_a, org_a, org_b):
    mine = AnalysisFactory(
        organization=org_a,
        prompt_hash="ab" * 32,
        raw_text='{"root_cause": "raw"}',
        context_blocks=[
            {
                "id": "E1",
                "title": "The alert: X",
                "source": "alert",
                "kind": "alert",
                "refs": [],
                "tokens": 120,
                "included": True,
                "truncated": False,
            }
        ],
    )
    failed = AnalysisFactory(organization=org_a, status="failed", failure_reason="boom")
    theirs = AnalysisFactory(organization=org_b)
    client.force_login(users_a["viewer"])
    listing = client.get("/analysis/").content.decode()
    assert f'href="/analysis/{mine.pk}/"' in listing and f'href="/analysis/{theirs.pk}/"' not in listing
    filtered = client.get("/analysis/?status=failed").content.decode()
    assert f'href="/analysis/{failed.pk}/"' in filtered and f'href="/analysis/{mine.pk}/"' not in filtered
    detail = client.get(f"/analysis/{mine.pk}/").content.decode()
    assert (
        "abab" in detail
        and "The alert: X" in detail
        and "~120 tokens" in detail
        and "&quot;raw&quot;" in detail
    )
    assert client.get(f"/analysis/{theirs.pk}/").status_code == 404


@pytest.mark.skipif(not incident_support.installed(), reason="apps.incidents is not installed")
def test_incident_page_has_the_panel(client, users_a, org_a, django_capture_on_commit_callbacks):
    from tests.incidents.factories import IncidentAlertFactory

    link = IncidentAlertFactory(
        organization=org_a, alert=AlertFactory(organization=org_a, name="PostgresqlDown")
    )
    client.force_login(users_a["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/analysis/incidents/{link.incident_id}/analyze/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = client.get(f"/incidents/{link.incident_id}/").content.decode()
    assert f'id="analysis-panel-incident-{link.incident_id}"' in page
    assert "The most likely origin is PostgresqlDown" in page
