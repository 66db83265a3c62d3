"""The Run button of a runbook with typed parameters opens a views.open modal; submitting it runs the runbook."""
import json
from urllib.parse import urlencode

import pytest

from apps.runbooks.models import RunbookExecution
from tests.alerts.factories import AlertFactory
from tests.runbooks.factories import RunbookFactory, SshTargetFactory, simple_definition
from tests.support import slack as contract

from .conftest import signed


@pytest.fixture
def web_api(http_stub, workspace):
    stub = http_stub(name="slack-web-api")
    stub.validate(contract.web_api)
    stub.set_default(200, json={"ok": True, "channel": "C1", "ts": "1700000000.000200"})
    workspace.api_url = stub.url + "/api/"
    workspace.save()
    return stub


def _runbook(org):
    return RunbookFactory(organization=org, name="Scale pool", definition=simple_definition(
        "Scale pool", execution={"mode": "manual"},
        parameters=[{"name": "replicas", "source": "input", "required": True, "default": "3",
                     "description": "How many"}],
        steps=[{"name": "Scale", "type": "command", "command_linux": "scale --to {{replicas}}"}]))


def _post(client, payload, capture):
    with capture(execute=True):
        response = signed(client, urlencode({"payload": json.dumps(payload)}).encode())
    assert response.status_code == 200
    return response


def test_run_click_opens_the_modal_and_submission_runs_with_the_values(
        client, web_api, linked, org_a, users_a, django_capture_on_commit_callbacks):
    alert = AlertFactory(organization=org_a, name="PoolSaturated", labels={"instance": "web-1:9100"})
    SshTargetFactory(organization=org_a, name="web-1", host="web-1")
    runbook = _runbook(org_a)
    _post(client, {"type": "block_actions", "team": {"id": "T0ACME"}, "trigger_id": "13345224609.738474920.8088",
                   "user": {"id": linked["operator"], "username": "op"}, "response_url": "http://127.0.0.1:9/r",
                   "container": {"type": "message", "channel_id": "C1"},
                   "actions": [{"type": "button", "action_id": "aiops_run_runbook_0",
                                "value": f"runbook:{runbook.pk}:alert:{alert.pk}"}]},
          django_capture_on_commit_callbacks)
    web_api.assert_no_contract_errors()
    (opened,) = web_api.requests
    assert opened.path == "/api/views.open"
    args = opened.json
    assert args["trigger_id"] == "13345224609.738474920.8088"
    view = args["view"]
    assert view["callback_id"] == "aiops_run_params"
    assert view["private_metadata"] == f"runbook:{runbook.pk}:alert:{alert.pk}:C1"
    (field,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert (field["block_id"], field["element"]["initial_value"], field["optional"]) == ("p_replicas", "3", False)
    assert not RunbookExecution.objects.exists()

    submission = {"type": "view_submission", "team": {"id": "T0ACME"},
                  "user": {"id": linked["operator"], "username": "op"},
                  "view": {"id": "V1", "callback_id": "aiops_run_params", "private_metadata": view["private_metadata"],
                           "state": {"values": {"p_replicas": {"value": {"type": "plain_text_input",
                                                                         "value": "5"}}}}}}
    response = _post(client, submission, django_capture_on_commit_callbacks)
    assert response.content == b""  # an empty 200 closes the modal
    execution = RunbookExecution.objects.get(runbook=runbook)
    assert execution.alert == alert and execution.requested_by == users_a["operator"]
    assert execution.parameters.get("replicas") == "5"
    posted = web_api.requests[-1]
    assert posted.path == "/api/chat.postMessage" and posted.json["channel"] == "C1"
    assert f"execution {execution.pk}" in posted.json["text"]
    web_api.assert_no_contract_errors()


def test_a_viewer_submission_or_forged_metadata_runs_nothing(
        client, web_api, linked, org_a, django_capture_on_commit_callbacks):
    alert = AlertFactory(organization=org_a)
    runbook = _runbook(org_a)
    for user, meta in ((linked["viewer"], f"runbook:{runbook.pk}:alert:{alert.pk}:C1"),
                       (linked["operator"], f"runbook:{runbook.pk};rm -rf:alert:{alert.pk}:C1")):
        _post(client, {"type": "view_submission", "team": {"id": "T0ACME"}, "user": {"id": user},
                       "view": {"callback_id": "aiops_run_params", "private_metadata": meta,
                                "state": {"values": {}}}}, django_capture_on_commit_callbacks)
    texts = [r.json["text"] for r in web_api.requests]
    assert "running a runbook needs operator" in texts[0] and "not valid" in texts[1]
    assert [r.path for r in web_api.requests] == ["/api/chat.postEphemeral"] * 2
    assert not RunbookExecution.objects.exists()
