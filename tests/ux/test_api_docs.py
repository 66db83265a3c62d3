"""/api/docs/ works offline (#16): Swagger UI from drf-spectacular-sidecar's static files, its
bootstrap a same-origin script, and the page keeps the portal's Content-Security-Policy."""
import re

import pytest
from django.contrib.staticfiles import finders

from tests.support.browser import ARTIFACTS_DIR

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


def _docs(client, users_a):
    client.force_login(users_a["viewer"])
    return client.get("/api/docs/")


def test_docs_page_references_no_external_host(client, users_a):
    response = _docs(client, users_a)
    assert response.status_code == 200
    html = response.content.decode()
    assets = ASSET.findall(html)
    assert any("swagger-ui-bundle.js" in a for a in assets), assets
    for asset in assets:
        assert not re.match(r"(?i)^(https?:)?//", asset), f"external asset {asset}"
        if asset.startswith("/static/"):
            path = asset.split("?")[0].removeprefix("/static/")
            assert finders.find(path), f"{asset} is not among our static files"
    assert "<script>" not in html.replace(" ", "")  # no inline script for the CSP to block
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_docs_bootstrap_script_is_same_origin(client, users_a):
    html = _docs(client, users_a).content.decode()
    script = next(a for a in ASSET.findall(html) if "script" in a and "swagger-ui" not in a)
    body = client.get(script.replace("&amp;", "&"))
    assert body.status_code == 200 and "javascript" in body["Content-Type"]
    assert "SwaggerUIBundle" in body.content.decode()
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)", body.content.decode())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_render_in_chromium_with_no_outside_request(browser_page, live_server, users_a, client):
    client.force_login(users_a["viewer"])
    session = client.cookies["sessionid"].value
    page = browser_page
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    outside, violations = [], []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) or r.url.startswith("data:")
            else outside.append(r.url))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "AIOps Remediation Engine API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock", timeout=15_000)
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS_DIR / "api-docs.png"))  # the viewport: the full page is 19,000 px
    assert outside == [] and violations == []
