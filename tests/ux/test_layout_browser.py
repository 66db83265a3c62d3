"""Pages fit (#16): long group keys, fingerprints and label values wrap inside their cards, and the
header menu wraps on a phone. Chromium at 1280 px and 390 px; PNGs in var/test-artifacts/."""
import pytest

from aiops.roles import Role
from tests.alerts.factories import AlertFactory
from tests.incidents.factories import IncidentAlertFactory, IncidentFactory
from tests.support.browser import screenshot
from tests.tenancy.factories import member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_KEY = '{}/{}:{alertname="KubePodCrashLooping", cluster="prod-eu-west-1", namespace="payments", ' \
           'pod="payment-api-7d9c6b5f4-xk2lq", container="payment-api"}'
HASH = "9f2c4e8a1b7d3f6e0a5c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f"

# Everything that sticks out: the page wider than the window, or a card's content wider than the card.
OVERFLOW = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) problems.push(`page ${doc.scrollWidth}px wide in ${window.innerWidth}px`);
  for (const card of document.querySelectorAll('.card, header.top')) {
    if (card.scrollWidth > card.clientWidth + 1)
      problems.push(`${card.id || card.className}: content ${card.scrollWidth}px in ${card.clientWidth}px`);
  }
  return problems;
}"""


@pytest.fixture
def logged_in(browser_page, live_server, org_a, client):
    user = member(org_a, Role.OWNER, username="layout-owner")
    client.force_login(user)
    browser_page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                       "url": live_server.url}])
    return browser_page


@pytest.fixture
def pages(org_a):
    alert = AlertFactory(organization=org_a, group_key=LONG_KEY, fingerprint=HASH[:16],
                         labels={"alertname": "KubePodCrashLooping", "pod_template_hash": HASH,
                                 "image": "registry.example.com/payments/payment-api@sha256:" + HASH},
                         annotations={"summary": "Pod payment-api-7d9c6b5f4-xk2lq is crash looping",
                                      "runbook_url": "https://runbooks.example.com/" + HASH})
    incident = IncidentFactory(organization=org_a, title="payment-api crash looping " + HASH)
    IncidentAlertFactory(organization=org_a, incident=incident, alert=alert)
    return {"dashboard": "/", "alerts": "/alerts/", "alert": f"/alerts/{alert.pk}/",
            "incidents": "/incidents/", "incident": f"/incidents/{incident.pk}/"}


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_fit_their_width(logged_in, live_server, pages, width):
    page = logged_in
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_selector("main")
        screenshot(page, f"layout-{name}-{width}")
        problems = page.evaluate(OVERFLOW)
        if problems:
            found[name] = problems
    assert found == {}


def test_phone_menu_wraps_in_german_via_the_switcher(logged_in, live_server, pages):
    page = logged_in
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(live_server.url + "/")
    page.select_option("#language-select", "de")  # submits on change
    page.wait_for_function("document.documentElement.lang === 'de'")
    assert "Übersicht" in page.inner_text("header.top")
    screenshot(page, "layout-dashboard-de-390")
    assert page.evaluate(OVERFLOW) == []
