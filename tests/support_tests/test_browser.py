"""Playwright drives Debian's Chromium against a plain local http.server page."""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.browser import ARTIFACTS_DIR, screenshot

PAGE = """<!doctype html><html><head><title>Support page</title></head><body>
<h1 id="title">Hello</h1><button id="ack" onclick="
document.getElementById('title').textContent = 'Acknowledged'">Acknowledge</button>
</body></html>"""

pytestmark = pytest.mark.browser


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def static_site(tmp_path):
    (tmp_path / "index.html").write_text(PAGE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_page_runs_javascript_and_screenshots(browser_page, static_site):
    browser_page.goto(static_site + "/index.html")
    assert browser_page.title() == "Support page"
    browser_page.click("#ack")
    assert browser_page.text_content("#title") == "Acknowledged"

    path = screenshot(browser_page, "support/self test")
    assert path == ARTIFACTS_DIR / "support_self_test.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path.unlink()


def test_each_test_gets_a_fresh_page(browser_page):
    assert browser_page.url == "about:blank"
