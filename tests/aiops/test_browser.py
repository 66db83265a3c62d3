"""The browser harness later issues reuse: log in, switch organisation, screenshot the dashboard."""
import pytest

from aiops.roles import Role
from apps.tenancy import services
from tests.support.browser import screenshot
from tests.tenancy.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_switch_organisation_and_screenshot(browser_page, live_server, org_a, org_b):
    user = UserFactory(username="alice", password="correct-horse")
    services.membership_set(organization=org_a, user=user, role=Role.OWNER)
    services.membership_set(organization=org_b, user=user, role=Role.VIEWER)
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "alice")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".error").count() == 1

    page.fill("#id_username", "alice")
    page.fill("#id_password", "correct-horse")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert "Org A" in page.inner_text("h1")

    page.select_option("#org-select", str(org_b.pk))  # submits on change
    page.wait_for_function("document.querySelector('h1').innerText.includes('Org B')")
    assert "Org B" in page.inner_text("h1")
    path = screenshot(page, "dashboard-org-b")
    assert path.exists() and path.stat().st_size > 5000
