"""The alert page's "Related changes" panel in a real browser: the banner, then the htmx verdict button."""

import pytest

from aiops.roles import Role
from apps.alerts.models import Alert
from apps.changes.models import ChangeCorrelation
from apps.tenancy import services as tenancy
from tests.changes.conftest import alertmanager_body, post_alert, post_change
from tests.changes.factories import ChangeSourceFactory
from tests.changes.test_correlation import ALERT_AT, FRIDAY_DEPLOY, UNRELATED_DEPLOY
from tests.support.browser import screenshot
from tests.tenancy.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_confirm_the_related_deploy_from_the_alert_page(browser_page, live_server, client, org_a, integration):
    source = ChangeSourceFactory(organization=org_a)
    post_change(client, source, FRIDAY_DEPLOY)
    post_change(client, source, UNRELATED_DEPLOY)
    post_alert(client, integration, alertmanager_body(starts_at=ALERT_AT))
    alert = Alert.objects.get()
    responder = UserFactory(username="responder", password="correct-horse")
    tenancy.membership_set(organization=org_a, user=responder, role=Role.OPERATOR)

    page = browser_page
    page.goto(f"{live_server.url}/alerts/{alert.pk}/")
    page.fill("#id_username", "responder")
    page.fill("#id_password", "correct-horse")
    page.click("button[type=submit]")
    page.wait_for_selector("#panel-changes .change-banner")
    banner = page.locator("#panel-changes .change-banner").inner_text()
    assert "Related deployment detected" in banner and "Correlation confidence: 95%" in banner
    assert "payment-api deployed v2.3.1 (was v2.3.0)" in banner
    assert page.locator("#panel-changes svg.change-window circle.related").count() == 1
    screenshot(page, "changes-alert-panel")
    page.click("#panel-changes button[value=confirm]")
    page.wait_for_selector("#related-changes tr[data-status=confirmed]")
    assert ChangeCorrelation.objects.get().status == "confirmed"
    screenshot(page, "changes-alert-panel-confirmed")
    page.goto(f"{live_server.url}/changes/?after=2024-12-01T00:00:00Z")
    page.wait_for_selector("#changes-frequency svg")
    assert page.locator("#risky-changes tbody tr").count() == 1
    screenshot(page, "changes-dashboard")
