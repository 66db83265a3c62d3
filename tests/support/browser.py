"""Playwright driving Debian's Chromium, for the few tests that need a real browser.

The portal's htmx buttons and polling only run in a browser. Playwright's own browser
downloads are not reachable here, so it drives the distribution's ``/usr/bin/chromium``
(``executable_path``), headless, with background networking off so the browser only ever
talks to the loopback server under test. One browser per test session; each test gets a fresh
context and page. When a test fails its page is saved to ``var/test-artifacts/``. Tests skip
only when Chromium or the playwright package is absent.

Playwright's sync API keeps an asyncio loop in the main thread, which makes Django refuse ORM
calls from tests ("You cannot call this from an async context"); the tests are synchronous,
so this module sets ``DJANGO_ALLOW_ASYNC_UNSAFE``.

Usage::

    def test_acknowledge(browser_page, live_server):
        browser_page.goto(live_server.url + "/alerts/")
        screenshot(browser_page, "alerts-list")
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

__all__ = [
    "ARTIFACTS_DIR",
    "CHROMIUM_BIN",
    "CHROMIUM_ARGS",
    "screenshot",
    "chromium_browser",
    "browser_page",
    "pytest_runtest_makereport",
]

CHROMIUM_BIN = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
_REPORTS = pytest.StashKey[dict]()


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG as var/test-artifacts/<name>.png and return its path."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "page"
    path = ARTIFACTS_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so browser_page can tell a failure."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the session (Playwright ``Browser``)."""
    if shutil.which(CHROMIUM_BIN) is None:
        pytest.skip(f"{CHROMIUM_BIN} missing: run .ci/system-packages.sh (Debian chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_BIN, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser, request) -> Iterator:
    """A fresh page in its own context; screenshot to var/test-artifacts/ if the test fails."""
    context = chromium_browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        reports = request.node.stash.get(_REPORTS, {})
        if any(report.failed for report in reports.values()):
            # A crashed page must not hide the real failure.
            with contextlib.suppress(Exception):
                screenshot(page, f"FAILED-{request.node.nodeid}")
        context.close()
