"""The execution state machine: approval, rejection, expiry by the timer task, cancel, the four-eyes
rule, rate limit, cooldown and duplicate refusal (with reasons), and dry runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.runbooks import services
from apps.runbooks.models import RunbookExecution
from apps.runbooks.tasks import timers
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(http_stub):
    return http_stub(name="svc")


@pytest.fixture
def semi_auto(import_yaml, api):
    return import_yaml(f"""
name: Poke service
execution: {{mode: semi_auto, approval_timeout_minutes: 10, max_executions_per_hour: 3, cooldown_minutes: 0}}
steps:
  - {{name: poke, type: api, method: POST, endpoint: "{api.url}/poke/{{{{service}}}}"}}
""")


def request(on_commit, runbook, user, **kwargs):
    kwargs.setdefault("inputs", {"service": "web"})
    return on_commit(services.execution_request_manual, runbook=runbook, user=user, **kwargs)


def test_semi_auto_waits_for_approval_then_runs(semi_auto, users_a, on_commit, api):
    execution = request(on_commit, semi_auto, users_a["operator"], reason="customers see 500s")
    assert execution.status == "pending_approval" and api.requests == []
    assert execution.approval_due_at > timezone.now() + timedelta(minutes=9)
    other = users_a["admin"]
    on_commit(services.execution_approve, execution=execution, user=other, note="go")
    execution.refresh_from_db()
    assert execution.status == "succeeded"
    assert (execution.decided_by, execution.decision_note) == (other, "go")
    assert [r.path for r in api.requests] == ["/poke/web"]
    kinds = list(execution.events.values_list("kind", flat=True))
    assert kinds[:3] == ["requested", "approval_needed", "approved"] and kinds[-1] == "finished"


def test_requester_cannot_approve_their_own_run(semi_auto, users_a, on_commit, settings):
    execution = request(on_commit, semi_auto, users_a["operator"])
    with pytest.raises(services.ExecutionStateError, match="someone else"):
        services.execution_approve(execution=execution, user=users_a["operator"])
    settings.RUNBOOKS_ALLOW_SELF_APPROVAL = True
    on_commit(services.execution_approve, execution=execution, user=users_a["operator"])
    execution.refresh_from_db()
    assert execution.status == "succeeded"


def test_rejected_run_never_runs_and_cannot_be_approved_later(semi_auto, users_a, on_commit, api):
    execution = request(on_commit, semi_auto, users_a["operator"])
    on_commit(services.execution_reject, execution=execution, user=users_a["admin"], note="not now")
    execution.refresh_from_db()
    assert (execution.status, execution.status_reason) == ("rejected", "not now")
    with pytest.raises(services.ExecutionStateError, match="not waiting for approval"):
        services.execution_approve(execution=execution, user=users_a["admin"])
    assert api.requests == []


def test_approval_expires_through_the_timer_task(semi_auto, users_a, on_commit, api, import_yaml):
    execution = request(on_commit, semi_auto, users_a["operator"])
    other = import_yaml(f"""
name: Other
execution: {{mode: semi_auto}}
steps: [{{name: poke, type: api, endpoint: "{api.url}/other"}}]
""")
    fresh = request(on_commit, other, users_a["owner"], inputs={})
    RunbookExecution.objects.filter(pk=execution.pk).update(
        approval_due_at=timezone.now() - timedelta(seconds=1)
    )
    assert RunbookExecution.objects.get(pk=fresh.pk).status == "pending_approval"
    result = on_commit(timers.delay).get()
    assert result == {"expired": 1, "fired": 0}
    execution.refresh_from_db()
    assert execution.status == "expired" and execution.status_reason == "nobody approved within 10 minutes"
    assert RunbookExecution.objects.get(pk=fresh.pk).status == "pending_approval"
    assert on_commit(timers.delay).get() == {"expired": 0, "fired": 0}  # nothing fires twice
    assert api.requests == []


def test_approving_after_the_window_expires_it(semi_auto, users_a, on_commit):
    execution = request(on_commit, semi_auto, users_a["operator"])
    RunbookExecution.objects.filter(pk=execution.pk).update(
        approval_due_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(services.ExecutionStateError, match="approval window"):
        on_commit(services.execution_approve, execution=execution, user=users_a["admin"])
    execution.refresh_from_db()
    assert execution.status == "expired"


def test_cancel_pending_run(semi_auto, users_a, on_commit):
    execution = request(on_commit, semi_auto, users_a["operator"])
    on_commit(services.execution_cancel, execution=execution, user=users_a["operator"])
    execution.refresh_from_db()
    assert execution.status == "cancelled"
    with pytest.raises(services.ExecutionStateError, match="already ended"):
        services.execution_cancel(execution=execution, user=users_a["operator"])


def test_duplicate_pending_run_is_refused(semi_auto, users_a, on_commit):
    first = request(on_commit, semi_auto, users_a["operator"])
    with pytest.raises(services.ExecutionRefused, match=f"#{first.pk} of Poke service is already waiting"):
        request(on_commit, semi_auto, users_a["admin"])


def test_rate_limit_refuses_with_the_next_allowed_time(import_yaml, users_a, on_commit, api):
    runbook = import_yaml(f"""
name: Limited
execution: {{mode: manual, max_executions_per_hour: 2}}
steps: [{{name: poke, type: api, endpoint: "{api.url}/x"}}]
""")
    for _ in range(2):
        assert request(on_commit, runbook, users_a["operator"], inputs={}).status == "approved"
    with pytest.raises(services.ExecutionRefused) as info:
        request(on_commit, runbook, users_a["operator"], inputs={})
    assert info.value.code == "rate_limited"
    assert "ran 2 times in the last hour (at most 2); next run allowed at" in str(info.value)
    assert len(api.requests) == 2
    # An hour later the window has moved on.
    RunbookExecution.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert request(on_commit, runbook, users_a["operator"], inputs={}).status == "approved"


def test_cooldown_refuses_until_it_passes(import_yaml, users_a, on_commit, api):
    runbook = import_yaml(f"""
name: Cool
execution: {{mode: manual, cooldown_minutes: 15}}
steps: [{{name: poke, type: api, endpoint: "{api.url}/x"}}]
""")
    first = request(on_commit, runbook, users_a["operator"], inputs={})
    with pytest.raises(services.ExecutionRefused) as info:
        request(on_commit, runbook, users_a["operator"], inputs={})
    assert info.value.code == "cooldown" and f"(#{first.pk}); it may run again after" in str(info.value)
    RunbookExecution.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    assert request(on_commit, runbook, users_a["operator"], inputs={}).status == "approved"


def test_missing_and_invalid_parameters_refuse_the_run(import_yaml, users_a, on_commit, org_a):
    runbook = import_yaml("""
name: Params
parameters:
  - {name: unit, source: label, key: service, pattern: "^[a-z-]+$"}
steps: [{name: s, type: api, endpoint: "http://127.0.0.1:9/{{unit}}/{{region}}"}]
""")
    with pytest.raises(services.ExecutionRefused) as info:
        request(on_commit, runbook, users_a["operator"], inputs={})
    assert info.value.code == "parameters"
    assert "parameter 'unit' has no value (source: label)" in str(info.value)
    assert "no value for {{region}}" in str(info.value)
    alert = AlertFactory(organization=org_a, labels={"service": "web; reboot"})
    with pytest.raises(services.ExecutionRefused, match=r"'web; reboot' does not match \^\[a-z-\]\+\$"):
        request(on_commit, runbook, users_a["operator"], alert=alert, inputs={"region": "eu"})
    with pytest.raises(services.ExecutionRefused, match="'regoin' is not used by this runbook"):
        request(on_commit, runbook, users_a["operator"], inputs={"regoin": "eu"})
    assert not RunbookExecution.objects.exists()  # refusals for people are answers, not rows


def test_disabled_runbook_is_refused(import_yaml, users_a, on_commit):
    runbook = import_yaml(
        "name: Paused\nenabled: false\nsteps: [{name: s, type: api, endpoint: 'http://127.0.0.1:9/'}]\n"
    )
    with pytest.raises(services.ExecutionRefused, match="Paused is disabled"):
        request(on_commit, runbook, users_a["operator"], inputs={})


def test_dry_run_renders_steps_without_running(import_yaml, org_a, users_a, on_commit):
    from tests.runbooks.factories import SshTargetFactory

    target = SshTargetFactory(organization=org_a, host="10.1.2.3", username="deploy")
    runbook = import_yaml("""
name: Restart
steps:
  - name: restart
    command: "systemctl restart {{service}}"
    requires_sudo: true
    rollback: "systemctl start {{service}}"
  - {name: check, type: api, endpoint: "http://{{labels.instance}}/health"}
""")
    alert = AlertFactory(organization=org_a, labels={"service": "x; rm -rf /", "instance": "10.1.2.3:8080"})
    plan = services.execution_plan(runbook=runbook, alert=alert)
    assert plan["target"] == target
    restart, check = plan["steps"]
    assert restart["display"] == "sudo -n -- systemctl restart 'x; rm -rf /'"
    assert restart["rollback"] == "systemctl start 'x; rm -rf /'"
    assert check["display"] == "GET http://10.1.2.3%3A8080/health"
    assert not RunbookExecution.objects.exists()


def test_target_is_found_from_the_instance_label_host_part(import_yaml, org_a, on_commit):
    from apps.runbooks.services.targets import TargetError, target_choose
    from tests.runbooks.factories import SshTargetFactory

    web = SshTargetFactory(organization=org_a, name="web-1", host="10.9.9.9")
    definition = import_yaml("name: T\nsteps: [{name: s, command: uptime}]\n").definition
    assert (
        target_choose(definition=definition, organization=org_a, labels={"instance": "10.9.9.9:9100"}) == web
    )
    assert target_choose(definition=definition, organization=org_a, labels={"instance": "web-1"}) == web
    with pytest.raises(TargetError, match="no SSH target for instance='10.0.0.0:1'"):
        target_choose(definition=definition, organization=org_a, labels={"instance": "10.0.0.0:1"})
    with pytest.raises(TargetError, match="has no 'instance' label"):
        target_choose(definition=definition, organization=org_a, labels={})
    fixed = import_yaml("name: F\ntarget: {name: web-1}\nsteps: [{name: s, command: uptime}]\n").definition
    assert target_choose(definition=fixed, organization=org_a, labels={"instance": "elsewhere"}) == web
