"""Portal: feedback under the analysis (htmx, no reload), similar incidents, the library, statistics."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.feedback.models import AnalysisFeedback, RemediationFeedback, SuccessfulRemediation
from tests.alerts.factories import AlertFactory
from tests.analysis.factories import AnalysisFactory
from tests.incidents.factories import IncidentFactory
from tests.runbooks.factories import RunbookExecutionFactory, RunbookFactory

from .factories import RemediationFeedbackFactory, SuccessfulRemediationFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def analysis(org_a):
    alert = AlertFactory(
        organization=org_a,
        name="DatabaseConnectionTimeout",
        service="orders-api",
        summary="Connections from orders-api to orders-db time out",
    )
    return AnalysisFactory(
        organization=org_a, alert=alert, remediation=[{"step": "Restart the application (orders-api)."}]
    )


def login(client, user):
    client.force_login(user)
    return client


def test_alert_page_shows_feedback_right_after_the_analysis_and_similar_cases(client, users_a, analysis, org_a):
    past = AlertFactory(
        organization=org_a,
        name="DatabaseConnectionTimeout",
        service="orders-api",
        summary=analysis.alert.summary,
        starts_at=timezone.now() - timedelta(days=2),
    )
    page = login(client, users_a["operator"]).get(reverse("alerts:detail", kwargs={"pk": analysis.alert_id}))
    html = page.content.decode()
    assert page.status_code == 200
    panel = f'id="feedback-panel-alert-{analysis.alert_id}"'
    assert html.index("analysis-panel-alert") < html.index(panel) < html.index('id="panel-similar"')
    assert 'name="feedback_type" value="helpful"' in html and 'name="rating" value="5"' in html
    assert "Mark as successful fix" in html
    assert f'data-kind="alert" data-id="{past.pk}"' in html  # the similar past alert, with its score
    assert "What actually fixed it" in html


def test_thumbs_and_stars_post_with_htmx_and_return_the_panel(client, users_a, analysis):
    login(client, users_a["operator"])
    url = reverse("feedback:rate", kwargs={"pk": analysis.pk})
    response = client.post(url, {"feedback_type": "helpful"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith("<section")  # a fragment: no page reload
    assert 'aria-pressed="true"' in html and "1 rating · 100% helpful" in html
    stars = client.post(url, {"rating": "4"}, **HX)
    assert stars.status_code == 200 and stars.content.decode().count("★") >= 4
    row = RemediationFeedback.objects.get()
    assert (row.feedback_type, row.rating, row.user) == ("helpful", 4, users_a["operator"])


def test_details_form_records_sections_and_what_fixed_it(client, users_a, analysis):
    login(client, users_a["operator"])
    response = client.post(
        reverse("feedback:rate", kwargs={"pk": analysis.pk}),
        {
            "feedback_type": "not_helpful",
            "rating": "2",
            "comment": "Restart did nothing",
            "correct_action": "Re-added the network route",
            "root_cause_accurate": "no",
            "root_cause_correction": "A route was missing",
            "impact_accurate": "yes",
            "remediation_accurate": "",
        },
        **HX,
    )
    assert response.status_code == 200
    row = RemediationFeedback.objects.get()
    assert (row.feedback_type, row.correct_action) == ("not_helpful", "Re-added the network route")
    sections = {f.analysis_section: f for f in AnalysisFeedback.objects.all()}
    assert set(sections) == {"root_cause", "impact"}
    assert sections["root_cause"].user_correction == "A route was missing" and not sections["root_cause"].is_accurate
    # The "Mark as successful fix" form now starts from what the user said fixed it.
    assert "Re-added the network route</textarea>" in response.content.decode()


def test_bad_input_comes_back_in_the_panel(client, users_a, analysis):
    login(client, users_a["operator"])
    response = client.post(reverse("feedback:rate", kwargs={"pk": analysis.pk}), {"rating": "9"}, **HX)
    assert response.status_code == 400 and "feedback-errors" in response.content.decode()
    assert not RemediationFeedback.objects.exists()
    plain = client.post(reverse("feedback:rate", kwargs={"pk": analysis.pk}), {"comment": "?"})
    assert plain.status_code == 302  # a plain post is redirected back with the message


def test_viewer_sees_ratings_but_cannot_rate(client, users_a, analysis):
    RemediationFeedbackFactory(organization=analysis.organization, analysis=analysis, feedback_type="helpful")
    login(client, users_a["viewer"])
    html = client.get(reverse("alerts:detail", kwargs={"pk": analysis.alert_id})).content.decode()
    assert "1 rating · 100% helpful" in html
    assert 'name="feedback_type" value="helpful"' not in html and "Mark as successful fix" not in html
    assert (
        client.post(
            reverse("feedback:rate", kwargs={"pk": analysis.pk}), {"feedback_type": "helpful"}, **HX
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("feedback:mark-fix", args=["alert", analysis.alert_id]), {"solution_summary": "x"}
        ).status_code
        == 403
    )
    assert RemediationFeedback.objects.count() == 1


def test_other_organisation_is_a_404(client, users_b, analysis):
    login(client, users_b["owner"])
    assert (
        client.post(reverse("feedback:rate", kwargs={"pk": analysis.pk}), {"feedback_type": "helpful"}).status_code
        == 404
    )
    assert client.get(reverse("feedback:alert-panel", kwargs={"pk": analysis.alert_id})).status_code == 404


def test_pending_analysis_panel_polls(client, users_a, org_a):
    pending = AnalysisFactory(organization=org_a, status="running")
    login(client, users_a["operator"])
    html = client.get(reverse("feedback:alert-panel", kwargs={"pk": pending.alert_id})).content.decode()
    assert 'hx-trigger="every 3s"' in html and "once it has finished" in html
    response = client.post(reverse("feedback:rate", kwargs={"pk": pending.pk}), {"feedback_type": "helpful"}, **HX)
    assert response.status_code == 400 and "not finished" in response.content.decode()


def test_mark_fix_from_the_alert_page(client, users_a, analysis):
    login(client, users_a["operator"])
    url = reverse("feedback:mark-fix", args=["alert", analysis.alert_id])
    response = client.post(
        url, {"solution_summary": "Re-added the network route", "manual_steps": "ip route add ..."}, **HX
    )
    assert response.status_code == 200 and "Saved to the fix library." in response.content.decode()
    entry = SuccessfulRemediation.objects.get()
    assert (entry.alert_pattern, entry.source, entry.verified_by) == (
        "DatabaseConnectionTimeout",
        "alert",
        users_a["operator"],
    )
    again = client.post(url, {"solution_summary": "re-added the network route"}, **HX)
    assert "now counts 2 confirmations" in again.content.decode()
    empty = client.post(url, {"solution_summary": ""}, **HX)
    assert empty.status_code == 400
    assert client.post(reverse("feedback:mark-fix", args=["page", 1]), {}).status_code == 404


def test_incident_page_has_the_feedback_panel(client, users_a, org_a):
    incident = IncidentFactory(organization=org_a)
    AnalysisFactory(organization=org_a, alert=None, subject_type="incident", incident_id=incident.pk)
    html = (
        login(client, users_a["operator"]).get(reverse("incidents:detail", kwargs={"pk": incident.pk})).content.decode()
    )
    assert f'id="feedback-panel-incident-{incident.pk}"' in html
    assert reverse("feedback:mark-fix", args=["incident", incident.pk]) in html


def test_execution_feedback_page(client, users_a, org_a):
    alert = AlertFactory(organization=org_a)
    run = RunbookExecutionFactory(
        organization=org_a, runbook=RunbookFactory(organization=org_a, name="Scale out"), alert=alert, status="failed"
    )
    login(client, users_a["operator"])
    alert_page = client.get(reverse("alerts:detail", kwargs={"pk": alert.pk})).content.decode()
    assert reverse("feedback:execution", kwargs={"pk": run.pk}) in alert_page
    url = reverse("feedback:execution", kwargs={"pk": run.pk})
    assert client.get(url).status_code == 200
    assert client.post(url, {"feedback_type": "not_helpful", "comment": "still slow"}).status_code == 302
    assert RemediationFeedback.objects.get().execution == run
    assert "still slow" in client.get(url).content.decode()
    marked = client.post(reverse("feedback:mark-fix", args=["execution", run.pk]), {"solution_summary": "Scaled out"})
    assert marked.status_code == 302 and SuccessfulRemediation.objects.get().source == "execution"


def test_library_pages(client, users_a, users_b, org_a, org_b):
    entry = SuccessfulRemediationFactory(organization=org_a, solution_summary="Re-add the missing network route")
    SuccessfulRemediationFactory(organization=org_a, alert_pattern="DiskFull", solution_summary="Rotate the logs")
    hidden = SuccessfulRemediationFactory(organization=org_b, solution_summary="Org B's secret fix")
    login(client, users_a["viewer"])
    html = client.get(reverse("feedback:library"), {"q": "network"}).content.decode()
    assert f'data-entry="{entry.pk}"' in html and "Rotate the logs" not in html and "Org B" not in html
    assert client.get(reverse("feedback:detail", kwargs={"pk": entry.pk})).status_code == 200
    assert client.get(reverse("feedback:detail", kwargs={"pk": hidden.pk})).status_code == 404
    assert client.get(reverse("feedback:edit", kwargs={"pk": entry.pk})).status_code == 403

    login(client, users_a["operator"])
    edit = reverse("feedback:edit", kwargs={"pk": entry.pk})
    response = client.post(
        edit,
        {
            "alert_pattern": "DatabaseConnectionTimeout",
            "service": "orders-api",
            "problem_summary": "Timeouts",
            "solution_summary": "Re-add the route",
            "labels_text": "service=orders-api\ndb=orders-db",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (
        entry.alert_labels == {"service": "orders-api", "db": "orders-db"} and entry.verified_by == users_a["operator"]
    )
    bad = client.post(
        reverse("feedback:create"),
        {"alert_pattern": "X", "problem_summary": "p", "solution_summary": "s", "labels_text": "no equals sign"},
    )
    assert bad.status_code == 400 and "is not key=value" in bad.content.decode()
    created = client.post(
        reverse("feedback:create"),
        {
            "alert_pattern": "KubeNodeNotReady",
            "problem_summary": "Node down",
            "solution_summary": "Drain and replace the node",
            "is_active": "on",
        },
    )
    assert (
        created.status_code == 302 and SuccessfulRemediation.objects.filter(alert_pattern="KubeNodeNotReady").exists()
    )


def test_stats_page_and_dashboard_section(client, users_a, org_a):
    for verdict in ("helpful", "helpful", "not_helpful"):
        RemediationFeedbackFactory(organization=org_a, feedback_type=verdict, rating=4)
    login(client, users_a["viewer"])
    page = client.get(reverse("feedback:stats")).content.decode()
    assert '<svg class="trend trend-rates"' in page and '<svg class="trend trend-stars"' in page
    assert 'id="fb-helpful">67%' in page and 'class="target"' in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert 'id="panel-feedback-stats"' in dashboard and "trend-rates" in dashboard
    assert client.get(reverse("feedback:stats"), {"provider_kind": "openai"}).status_code == 200
