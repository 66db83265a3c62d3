"""The plan's endpoints: rating analyses and runbook runs, marking fixes, the CRUD routes, roles, bad input."""

import pytest
from django.urls import reverse

from apps.feedback.models import AnalysisFeedback, RemediationFeedback, SuccessfulRemediation
from tests.alerts.factories import AlertFactory
from tests.analysis.factories import AnalysisFactory
from tests.incidents.factories import IncidentAlertFactory, IncidentFactory
from tests.runbooks.factories import RunbookExecutionFactory, RunbookFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(dispatched_events):
    return dispatched_events


@pytest.fixture
def analysis(org_a):
    return AnalysisFactory(
        organization=org_a,
        alert__name="DatabaseConnectionTimeout",
        alert__service="orders-api",
        remediation=[{"step": "Restart the application (orders-api)."}, {"step": "Check the database."}],
        suggested_runbook={"name": "restart-application", "matched": False},
    )


def feedback_url(alert):
    return reverse("alert-feedback", kwargs={"alert_id": alert.pk})


def test_operator_rates_an_alert_analysis_and_edits_it(
    org_a, users_a, api_client_for, analysis, published, django_capture_on_commit_callbacks
):
    client = api_client_for(users_a["operator"], org_a)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            feedback_url(analysis.alert),
            {
                "feedback_type": "incorrect",
                "rating": 1,
                "comment": "Restart did nothing.",
                "correct_action": "Re-added the network route.",
                "sections": [
                    {"section": "root_cause", "is_accurate": False, "correction": "A network route was missing."},
                    {"section": "impact", "is_accurate": True},
                ],
            },
            format="json",
        )
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["feedback_type"], body["rating"], body["analysis"], body["alert"]) == (
        "incorrect",
        1,
        analysis.pk,
        analysis.alert_id,
    )
    # The snapshot of what was judged: the lead step, the runbook, the provider.
    assert (body["suggestion"], body["suggested_runbook"], body["provider_kind"], body["alert_pattern"]) == (
        "Restart the application (orders-api)",
        "restart-application",
        "builtin",
        "DatabaseConnectionTimeout",
    )
    assert {(s["analysis_section"], s["is_accurate"]) for s in body["sections"]} == {
        ("root_cause", False),
        ("impact", True),
    }
    [event] = [e for e in published if e["name"] == "feedback.recorded"]
    assert event["data"]["kind"] == "analysis" and event["data"]["helpful"] is False
    assert event["subject"] == {"type": "feedback.remediationfeedback", "id": body["id"]}

    # Again: the same row is edited (one per user per analysis); fields left out keep their value.
    again = client.post(feedback_url(analysis.alert), {"feedback_type": "helpful"}, format="json")
    assert again.status_code == 200
    row = RemediationFeedback.objects.get()
    assert (row.feedback_type, row.rating, row.correct_action) == ("helpful", 1, "Re-added the network route.")
    assert AnalysisFeedback.objects.count() == 2

    listing = client.get(feedback_url(analysis.alert))
    assert listing.status_code == 200 and [r["id"] for r in listing.json()] == [row.pk]


def test_stars_alone_imply_a_verdict(org_a, users_a, api_client_for, analysis):
    client = api_client_for(users_a["operator"], org_a)
    assert client.post(feedback_url(analysis.alert), {"rating": 5}, format="json").json()["feedback_type"] == "helpful"
    other = api_client_for(users_a["admin"], org_a)
    assert (
        other.post(feedback_url(analysis.alert), {"rating": 2}, format="json").json()["feedback_type"] == "not_helpful"
    )
    assert RemediationFeedback.objects.count() == 2  # one per person


def test_viewer_cannot_rate(org_a, users_a, api_client_for, analysis):
    viewer = api_client_for(users_a["viewer"], org_a)
    assert viewer.post(feedback_url(analysis.alert), {"feedback_type": "helpful"}, format="json").status_code == 403
    assert (
        viewer.post(
            reverse("remediation-feedback-list"), {"analysis": analysis.pk, "feedback_type": "helpful"}, format="json"
        ).status_code
        == 403
    )
    assert (
        viewer.post(
            reverse("remediation-successful"), {"alert": analysis.alert_id, "solution_summary": "x"}, format="json"
        ).status_code
        == 403
    )
    assert viewer.get(feedback_url(analysis.alert)).status_code == 200  # reading is fine
    assert not RemediationFeedback.objects.exists() and not SuccessfulRemediation.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"feedback_type": "great"}, "feedback_type"),
        ({"feedback_type": "helpful", "rating": 6}, "rating"),
        ({"rating": 0}, "rating"),
        ({"comment": "no verdict, no stars"}, "feedback_type"),
        ({"feedback_type": "helpful", "sections": [{"section": "summary", "is_accurate": True}]}, "sections"),
        ({"feedback_type": "helpful", "analysis": 999999}, "analysis"),
    ],
)
def test_bad_ratings_are_400_with_the_field(org_a, users_a, api_client_for, analysis, payload, field):
    response = api_client_for(users_a["operator"], org_a).post(feedback_url(analysis.alert), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not RemediationFeedback.objects.exists()


def test_rating_needs_a_finished_analysis_of_that_alert(org_a, users_a, api_client_for, analysis):
    client = api_client_for(users_a["operator"], org_a)
    bare = AlertFactory(organization=org_a)
    response = client.post(feedback_url(bare), {"feedback_type": "helpful"}, format="json")
    assert response.status_code == 400 and "no analysis" in str(response.json())
    mismatch = client.post(feedback_url(bare), {"feedback_type": "helpful", "analysis": analysis.pk}, format="json")
    assert mismatch.status_code == 400 and "another alert" in str(mismatch.json())
    pending = AnalysisFactory(organization=org_a, alert=bare, status="pending")
    response = client.post(feedback_url(bare), {"feedback_type": "helpful", "analysis": pending.pk}, format="json")
    assert response.status_code == 400 and "not finished" in str(response.json())


def test_other_organisation_is_not_found(org_a, org_b, users_b, api_client_for, analysis):
    client = api_client_for(users_b["owner"], org_b)
    assert client.post(feedback_url(analysis.alert), {"feedback_type": "helpful"}, format="json").status_code == 404
    assert client.get(feedback_url(analysis.alert)).status_code == 404
    # An id from org A in org B's request body reads as "does not exist".
    response = client.post(
        reverse("remediation-feedback-list"), {"analysis": analysis.pk, "feedback_type": "helpful"}, format="json"
    )
    assert response.status_code == 400 and "analysis" in response.json()["error"]["fields"]


def test_only_your_own_feedback_is_editable(org_a, users_a, api_client_for, analysis):
    mine = api_client_for(users_a["operator"], org_a)
    row_id = mine.post(feedback_url(analysis.alert), {"feedback_type": "helpful"}, format="json").json()["id"]
    url = reverse("remediation-feedback-detail", kwargs={"pk": row_id})
    colleague = api_client_for(users_a["admin"], org_a)
    assert colleague.patch(url, {"rating": 1}, format="json").status_code == 403
    assert mine.patch(url, {"rating": 4}, format="json").json()["rating"] == 4
    assert mine.put(url, {"rating": 4}, format="json").status_code == 400  # PUT needs the verdict
    assert colleague.delete(url).status_code == 204  # admins may remove feedback (moderation)
    assert not RemediationFeedback.objects.exists()


def test_section_feedback_routes(org_a, users_a, api_client_for, analysis):
    client = api_client_for(users_a["operator"], org_a)
    url = reverse("analysis-feedback-list")
    created = client.post(
        url,
        {
            "analysis": analysis.pk,
            "analysis_section": "remediation",
            "is_accurate": False,
            "user_correction": "Check the network route.",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["suggestion"] == "Restart the application (orders-api)"
    again = client.post(
        url, {"analysis": analysis.pk, "analysis_section": "remediation", "is_accurate": True}, format="json"
    )
    assert again.status_code == 200 and again.json()["is_accurate"] is True
    detail = reverse("analysis-feedback-detail", kwargs={"pk": created.json()["id"]})
    assert client.patch(detail, {"user_correction": "fine"}, format="json").json()["user_correction"] == "fine"
    bad = client.post(url, {"analysis": analysis.pk, "analysis_section": "summary", "is_accurate": True}, format="json")
    assert bad.status_code == 400


def test_execution_feedback(org_a, users_a, api_client_for):
    runbook = RunbookFactory(organization=org_a, name="Restart application")
    alert = AlertFactory(organization=org_a, name="DatabaseConnectionTimeout")
    run = RunbookExecutionFactory(organization=org_a, runbook=runbook, alert=alert, status="failed")
    client = api_client_for(users_a["operator"], org_a)
    for path in ("executions", "runbook-executions"):
        response = client.post(
            f"/api/v1/{path}/{run.pk}/feedback",
            {"feedback_type": "not_helpful", "rating": 1, "correct_action": "Re-added the network route."},
            format="json",
        )
        assert response.status_code in (200, 201), response.content
    row = RemediationFeedback.objects.get()
    assert (row.execution_id, row.alert_id, row.suggestion, row.suggested_runbook) == (
        run.pk,
        alert.pk,
        "Run the runbook restart-application",
        "restart-application",
    )
    assert client.get(reverse("execution-feedback", kwargs={"execution_id": run.pk})).json()[0]["id"] == row.pk
    waiting = RunbookExecutionFactory(organization=org_a, runbook=runbook, status="pending_approval")
    response = client.post(
        reverse("execution-feedback", kwargs={"execution_id": waiting.pk}), {"feedback_type": "helpful"}, format="json"
    )
    assert response.status_code == 400 and "execution" in response.json()["error"]["fields"]
    viewer = api_client_for(users_a["viewer"], org_a)
    assert (
        viewer.post(
            reverse("execution-feedback", kwargs={"execution_id": run.pk}), {"feedback_type": "helpful"}, format="json"
        ).status_code
        == 403
    )


def test_mark_successful_from_alert_incident_and_execution(org_a, users_a, api_client_for):
    client = api_client_for(users_a["operator"], org_a)
    url = reverse("remediation-successful")
    alert = AlertFactory(
        organization=org_a,
        name="DatabaseConnectionTimeout",
        service="orders-api",
        summary="Connections time out",
        labels={
            "alertname": "DatabaseConnectionTimeout",
            "service": "orders-api",
            "instance": "orders-api-1:8080",
            "pod": "orders-api-5c6d8",
            "env": "production",
        },
    )
    first = client.post(
        url, {"alert": alert.pk, "solution_summary": "Re-added the network route to orders-db"}, format="json"
    )
    assert first.status_code == 201, first.content
    entry = first.json()
    assert (entry["alert_pattern"], entry["service"], entry["problem_summary"], entry["source"]) == (
        "DatabaseConnectionTimeout",
        "orders-api",
        "Connections time out",
        "alert",
    )
    # Volatile labels (instance, pod) are not "key labels".
    assert entry["alert_labels"] == {"env": "production", "service": "orders-api"}
    assert entry["verified_by"] == users_a["operator"].pk and entry["success_count"] == 1

    # The same fix in other words, for the same pattern, is counted again rather than duplicated.
    again = client.post(
        reverse("remediation-list"),
        {"alert": alert.pk, "solution_summary": "re-added the missing network route to orders-db"},
        format="json",
    )
    assert again.status_code == 200 and again.json()["id"] == entry["id"] and again.json()["success_count"] == 2

    incident = IncidentFactory(organization=org_a, title="Orders down")
    IncidentAlertFactory(
        organization=org_a, incident=incident, alert=AlertFactory(organization=org_a, name="OrdersDown")
    )
    from_incident = client.post(
        url, {"incident": incident.pk, "solution_summary": "Failed over the database"}, format="json"
    )
    assert from_incident.status_code == 201, from_incident.content
    assert (from_incident.json()["alert_pattern"], from_incident.json()["problem_summary"]) == (
        "OrdersDown",
        "Orders down",
    )

    run = RunbookExecutionFactory(
        organization=org_a,
        runbook=RunbookFactory(organization=org_a, name="Scale out"),
        alert=alert,
        status="succeeded",
    )
    from_run = client.post(url, {"execution": run.pk}, format="json").json()
    assert (from_run["solution_summary"], from_run["runbook"], from_run["source"]) == (
        "Ran the runbook scale-out",
        run.runbook_id,
        "execution",
    )

    both = client.post(url, {"alert": alert.pk, "incident": incident.pk, "solution_summary": "x"}, format="json")
    assert both.status_code == 400
    nothing = client.post(url, {"solution_summary": "x"}, format="json")
    assert nothing.status_code == 400 and set(nothing.json()["error"]["fields"]) == {"alert_pattern", "problem_summary"}


def test_library_crud_roles(org_a, users_a, api_client_for):
    operator = api_client_for(users_a["operator"], org_a)
    created = operator.post(
        reverse("remediation-list"),
        {
            "alert_pattern": "KubePodCrashLooping",
            "problem_summary": "Pods crash at start",
            "solution_summary": "Fix the config map",
            "alert_labels": {"namespace": "shop"},
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["source"] == "manual"
    url = reverse("remediation-detail", kwargs={"pk": created.json()["id"]})
    edited = operator.patch(
        url, {"solution_summary": "Fix the config map and roll out", "is_active": False}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["is_active"] is False
    assert operator.patch(url, {"alert_labels": ["not", "a", "dict"]}, format="json").status_code == 400
    assert operator.patch(url, {"solution_summary": ""}, format="json").status_code == 400
    assert operator.delete(url).status_code == 403  # deleting curated knowledge is for admins
    assert api_client_for(users_a["admin"], org_a).delete(url).status_code == 204
