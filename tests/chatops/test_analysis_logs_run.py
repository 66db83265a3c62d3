"""`analyze`, `logs` and `run`: the analysis, logs and runbooks apps' services, with the portal's role
checks, team scoping and refusal texts."""
import pytest

from apps.analysis.models import Analysis
from apps.chatops import commands
from apps.chatops.commands import Actor
from apps.runbooks.models import ExecutionEvent, RunbookExecution
from tests.alerts.factories import AlertFactory
from tests.analysis.factories import AnalysisFactory
from tests.incidents.factories import IncidentFactory
from tests.logs.factories import AlertLogContextFactory
from tests.runbooks.factories import RunbookFactory, SshTargetFactory, simple_definition

OPERATOR_UP = {"viewer": False, "operator": True, "admin": True, "owner": True}


def actor(org, user, name="jane"):
    return Actor(organization=org, user=user, label=f"@{name}")


@pytest.mark.parametrize("role", ["viewer", "operator", "admin", "owner"])
def test_analyze_queues_through_the_analysis_service_for_operators(org_a, users_a, role):
    alert = AlertFactory(organization=org_a)
    AnalysisFactory(organization=org_a, alert=alert, version=1, root_cause="Connection pool exhausted.")
    reply = commands.run(actor(org_a, users_a[role]), f"analyze {alert.pk}")
    queued = Analysis.objects.filter(alert=alert, version=2)
    if OPERATOR_UP[role]:
        row = queued.get()
        assert row.status == "pending" and row.trigger == "manual" and row.requested_by == users_a[role]
        assert "queued analysis v2 of alert" in reply.text and "Connection pool exhausted." in reply.text
    else:
        assert "you are a viewer in Org A; analysing needs operator" in reply.text
        assert not queued.exists()


def test_analyze_incident_and_strict_arguments(org_a, org_b, users_a):
    me = actor(org_a, users_a["operator"])
    incident = IncidentFactory(organization=org_a)
    reply = commands.run(me, f"analyze incident {incident.number}")
    assert f"of incident #{incident.number}" in reply.text
    assert Analysis.objects.filter(subject_type="incident", incident_id=incident.pk).count() == 1
    theirs = AlertFactory(organization=org_b)
    for text, expected in [
        (f"analyze {theirs.pk}", f"no alert {theirs.pk} in Org A"),
        ("analyze 1 2", "usage: /aiops analyze"),
        ("analyze incident x", "must be a number"),
        ("analyze", "usage: /aiops analyze"),
    ]:
        assert expected in commands.run(me, text).text, text
    assert not Analysis.objects.filter(alert=theirs).exists()


def test_logs_shows_the_stored_context_to_a_viewer(org_a, org_b, users_a):
    alert = AlertFactory(organization=org_a, name="HeapTooSmall")
    AlertLogContextFactory(organization=org_a, alert=alert, summary="2 errors in 15 minutes",
                           key_lines=[{"at": "", "level": "error", "line": "ERROR OutOfMemoryError `x`"}])
    reply = commands.run(actor(org_a, users_a["viewer"]), f"logs {alert.pk}")
    assert f"Logs for alert {alert.pk} (HeapTooSmall)" in reply.text
    assert "2× `OutOfMemoryError: Java heap space`" in reply.text and "error: 2" in reply.text
    assert "ERROR OutOfMemoryError 'x'" in reply.text  # backticks cannot close the code block
    theirs = AlertFactory(organization=org_b)
    AlertLogContextFactory(organization=org_b, alert=theirs)
    assert f"no alert {theirs.pk} in Org A" in commands.run(actor(org_a, users_a["owner"]), f"logs {theirs.pk}").text


def test_logs_without_a_context(org_a, users_a):
    alert = AlertFactory(organization=org_a)
    viewer = commands.run(actor(org_a, users_a["viewer"]), f"logs {alert.pk}")
    assert "fetching logs needs operator" in viewer.text
    operator = commands.run(actor(org_a, users_a["operator"]), f"logs {alert.pk}")
    assert "No log source applies" in operator.text


@pytest.mark.parametrize("role", ["viewer", "operator", "admin", "owner"])
def test_run_with_approval_waits_and_is_audited(org_a, users_a, role):
    runbook = RunbookFactory(organization=org_a, name="Restart web",
                             definition=simple_definition("Restart web", execution={"mode": "semi_auto"}))
    SshTargetFactory(organization=org_a, name="web-1")
    reply = commands.run(actor(org_a, users_a[role]), 'run "Restart web" web-1 service=payments')
    executions = RunbookExecution.objects.filter(runbook=runbook)
    if OPERATOR_UP[role]:
        execution = executions.get()
        assert execution.status == "pending_approval" and execution.requested_by == users_a[role]
        assert execution.parameters["service"] == "payments" and execution.target.name == "web-1"
        assert f"execution {execution.pk} waits for approval" in reply.text and not reply.ephemeral
        event = ExecutionEvent.objects.get(execution=execution, kind="requested")
        assert event.actor == users_a[role] and "Slack" in execution.reason
    else:
        assert "you are a viewer in Org A; running a runbook needs operator" in reply.text
        assert not executions.exists()


def test_run_refusals_are_the_portals(org_a, org_b, users_a):
    me = actor(org_a, users_a["operator"])
    runbook = RunbookFactory(organization=org_a, name="Hello")
    RunbookFactory(organization=org_b, name="Theirs")
    SshTargetFactory(organization=org_b, name="their-host")
    for text, expected in [
        (f"run {runbook.pk}", "Not run: no SSH target: the alert has no 'instance' label"),
        ("run Theirs", "no runbook 'Theirs' in Org A"),
        ("run Hello their-host", "no enabled SSH target 'their-host' in Org A"),
        ("run Hello nosuch=1", "Hello has no parameter nosuch"),
        ("run Hello web-1 'a b'=1", "parameters look like key=value"),
        ("run Hello host service=a service=b", "parameter service is given twice"),
        ("run", "usage: /aiops run <runbook>"),
    ]:
        assert expected in commands.run(me, text).text, text
    assert not RunbookExecution.objects.filter(organization=org_a).exists()


def test_run_values_are_parameters_not_shell(org_a, users_a):
    """A value full of shell syntax is stored as the parameter, quoted by the runbook's templating."""
    RunbookFactory(organization=org_a, name="Hello")
    SshTargetFactory(organization=org_a, name="web-1")
    reply = commands.run(actor(org_a, users_a["admin"]), 'run hello web-1 "service=x; rm -rf / #"')
    execution = RunbookExecution.objects.get(organization=org_a)
    assert execution.status == "approved", reply.text
    assert execution.parameters["service"] == "x; rm -rf / #"
    again = commands.run(actor(org_a, users_a["admin"]), "run hello web-1 service=y")
    assert f"Not run: execution #{execution.pk} of Hello is already approved" in again.text


def test_teams_reads_logs_but_cannot_run_or_analyze(org_a):
    alert = AlertFactory(organization=org_a, name="HeapTooSmall")
    AlertLogContextFactory(organization=org_a, alert=alert)
    teams = Actor(organization=org_a, user=None, label="Jane", front_door="Microsoft Teams", read_only=True)
    assert f"Logs for alert {alert.pk} (HeapTooSmall)" in commands.run(teams, f"logs {alert.pk}").text
    RunbookFactory(organization=org_a, name="Hello")
    for text in ("run Hello", f"analyze {alert.pk}"):
        assert "Microsoft Teams answers read commands only" in commands.run(teams, text).text
    assert not RunbookExecution.objects.exists() and not Analysis.objects.filter(alert=alert).exists()
