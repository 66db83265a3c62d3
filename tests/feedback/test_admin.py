"""Admin: every model listed and searchable; ratings are records (read-only), the library is curated."""

import pytest
from django.urls import reverse

from apps.feedback.models import SuccessfulRemediation

from .factories import (
    AnalysisFeedbackFactory,
    RemediationFeedbackFactory,
    RepeatCheckFactory,
    SuccessfulRemediationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, users_a):
    user = users_a["admin"]
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


def test_changelists_and_search(admin_client, org_a):
    RemediationFeedbackFactory(organization=org_a, comment="restart was useless")
    AnalysisFeedbackFactory(organization=org_a)
    RepeatCheckFactory(organization=org_a)
    SuccessfulRemediationFactory(organization=org_a)
    for model in ("remediationfeedback", "analysisfeedback", "repeatcheck", "successfulremediation"):
        response = admin_client.get(reverse(f"admin:feedback_{model}_changelist"), {"q": "a"})
        assert response.status_code == 200, model
    found = admin_client.get(reverse("admin:feedback_remediationfeedback_changelist"), {"q": "useless"})
    assert len(found.context["cl"].result_list) == 1
    assert admin_client.get(reverse("admin:feedback_remediationfeedback_add")).status_code == 403


def test_library_entry_added_in_the_admin_is_verified_by_the_admin(admin_client, org_a, users_a):
    response = admin_client.post(
        reverse("admin:feedback_successfulremediation_add"),
        {
            "alert_pattern": "KubeNodeNotReady",
            "alert_labels": '{"cluster": "eu-1"}',
            "service": "",
            "problem_summary": "Node not ready",
            "solution_summary": "Drain and replace the node",
            "manual_steps": "",
            "is_active": "on",
            "success_count": "1",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors if response.context else response
    entry = SuccessfulRemediation.objects.get()
    assert (entry.organization, entry.verified_by, entry.created_by) == (org_a, users_a["admin"], users_a["admin"])
    admin_client.post(
        reverse("admin:feedback_successfulremediation_changelist"), {"action": "retire", "_selected_action": [entry.pk]}
    )
    entry.refresh_from_db()
    assert entry.is_active is False
