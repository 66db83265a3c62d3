"""The feedback panel in a real browser: 👍 and the stars post with htmx and the page never reloads."""

import pytest

from apps.feedback.models import RemediationFeedback
from tests.alerts.factories import AlertFactory
from tests.analysis.factories import AnalysisFactory
from tests.support.browser import screenshot
from tests.tenancy.factories import UserFactory

pytestmark = [pytest.mark.browser]


def test_rate_without_reload(browser_page, live_server, org_a):
    from aiops.roles import Role
    from apps.tenancy import services as tenancy

    user = UserFactory(username="rater", password="correct-horse")
    tenancy.membership_set(organization=org_a, user=user, role=Role.OPERATOR)
    alert = AlertFactory(organization=org_a, name="DatabaseConnectionTimeout", service="orders-api")
    analysis = AnalysisFactory(organization=org_a, alert=alert, remediation=[{"step": "Restart the application."}])

    page = browser_page
    page.goto(f"{live_server.url}/alerts/{alert.pk}/")
    page.fill("#id_username", "rater")
    page.fill("#id_password", "correct-horse")
    page.click("button[type=submit]")
    panel = f"#feedback-panel-alert-{alert.pk}"
    page.wait_for_selector(panel)
    page.evaluate("window.__notReloaded = true")
    page.click(f"{panel} button[value=helpful]")
    page.wait_for_selector(f"{panel} .feedback-notice")
    page.click(f"{panel} .feedback-stars button[value='4']")
    page.wait_for_selector(f"{panel} >> text=★ 4.0")
    assert page.evaluate("window.__notReloaded") is True  # htmx swapped the panel; no navigation happened
    screenshot(page, "feedback-panel-rated")
    row = RemediationFeedback.objects.get(analysis=analysis)
    assert (row.feedback_type, row.rating, row.user_id) == ("helpful", 4, user.pk)
