"""The execution page in a real browser with a real worker: htmx Approve, then live output that
appears while the remote command is still running, and polling that stops when the run ends."""

import pytest

from aiops.roles import Role
from apps.runbooks import services
from apps.runbooks.models import RunbookExecution
from apps.tenancy import services as tenancy
from tests.support.browser import screenshot
from tests.tenancy.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_approve_and_watch_live_output(
    browser_page, live_server, celery_worker_process, org_a, users_a, ssh_target, import_yaml, on_commit
):
    runbook = import_yaml("""
name: Slow counter
execution: {mode: semi_auto}
steps:
  - {name: count, command: "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; sleep 1; done"}
""")
    execution = services.execution_request_manual(
        runbook=runbook, user=users_a["operator"], target=ssh_target, reason="watch it run"
    )
    approver = UserFactory(username="approver", password="correct-horse")
    tenancy.membership_set(organization=org_a, user=approver, role=Role.OPERATOR)

    page = browser_page
    page.goto(f"{live_server.url}/runbooks/executions/{execution.pk}/")
    page.fill("#id_username", "approver")
    page.fill("#id_password", "correct-horse")
    page.click("button[type=submit]")
    page.wait_for_selector("#approve-button")
    screenshot(page, "runbook-execution-pending")
    page.click("#approve-button")
    # Output shows up while the command still runs (the page polls every 2 s; the command takes
    # 10 s, so a loaded CI machine still sees it mid-run) ...
    page.wait_for_selector("text=line 2", timeout=30_000)
    assert RunbookExecution.objects.get(pk=execution.pk).status == "running"
    assert page.locator("#execution-live[hx-trigger]").count() == 1
    # ... and the page settles on the result, with polling switched off.
    page.wait_for_selector(".rb-status.succeeded", timeout=30_000)
    assert page.locator("#execution-live[hx-trigger]").count() == 0
    assert "line 10" in page.locator("#execution-steps").inner_text()
    screenshot(page, "runbook-execution-succeeded")
    execution.refresh_from_db()
    assert execution.decided_by == approver and execution.status == "succeeded"
