"""Socket Mode: slack-bolt's SocketModeHandler against a loopback Slack (Web API + WebSocket envelope)."""
import pytest

from apps.alerts.models import AlertEvent
from apps.chatops.socket_mode import build_handler
from tests.alerts.factories import AlertFactory
from tests.support.slack_socket import AUTH_TEST, SocketModeServer, connections_open

from .factories import ChatIdentityFactory, SlackWorkspaceFactory


@pytest.fixture
def socket_slack(http_stub):
    server = SocketModeServer()
    api = http_stub(name="slack-web-api")
    api.validate(connections_open)
    api.respond(200, json={"ok": True, "url": server.url}, method="POST", path="/api/apps.connections.open")
    api.set_default(200, json=AUTH_TEST)  # Bolt's auth.test, with the bot token
    yield server, api
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_command_and_button_over_socket_mode(socket_slack, response_stub, org_a, users_a):
    server, api = socket_slack
    workspace = SlackWorkspaceFactory(organization=org_a, team_id="T0SOCK", app_token="xapp-1-A1-test",
                                      api_url=api.url + "/api/")
    ChatIdentityFactory(organization=org_a, workspace=workspace, external_id="UOPS", user=users_a["operator"])
    alert = AlertFactory(organization=org_a, name="DiskFull")
    handler = build_handler(workspace)
    handler.connect()
    try:
        server.wait_connected()
        server.send_envelope("e-cmd", "slash_commands", {
            "team_id": "T0SOCK", "channel_id": "C1", "user_id": "UOPS", "user_name": "ops", "command": "/aiops",
            "text": f"alert {alert.pk}", "trigger_id": "1.2.3", "response_url": response_stub.url + "/commands/1"})
        ack = server.wait_ack("e-cmd")
        assert ack["payload"]["text"] == "Working on it…"
        [answer] = response_stub.wait_for(1)
        assert f"Alert {alert.pk}: DiskFull" in answer.json["text"]

        server.send_envelope("e-btn", "interactive", {
            "type": "block_actions", "team": {"id": "T0SOCK"}, "user": {"id": "UOPS", "username": "ops"},
            "trigger_id": "1.2.4", "response_url": response_stub.url + "/actions/1",
            "container": {"type": "message", "channel_id": "C1", "message_ts": "1.1"},
            "actions": [{"type": "button", "action_id": "aiops_acknowledge", "value": f"alert:{alert.pk}",
                         "block_id": "b", "action_ts": "1.2"}]})
        server.wait_ack("e-btn")
        answers = response_stub.wait_for(2)
        assert "acknowledged alert" in answers[1].json["text"]

        server.send_envelope("e-other", "slash_commands", {
            "team_id": "T0OTHER", "user_id": "UOPS", "command": "/aiops", "text": f"ack {alert.pk}",
            "response_url": response_stub.url + "/commands/2"})
        server.wait_ack("e-other")  # acknowledged, never acted on: another workspace's envelope
    finally:
        handler.close()
    paths = [r.path for r in api.requests]
    assert paths[0] == "/api/apps.connections.open" and set(paths[1:]) <= {"/api/auth.test"}, paths
    api.assert_no_contract_errors()
    response_stub.assert_no_contract_errors()
    assert server.contract_errors == []
    assert AlertEvent.objects.filter(alert=alert, kind="acknowledged").count() == 1
    assert len(response_stub.requests) == 2


def test_make_run_wants_socket_mode_only_with_an_app_token(org_a, settings, monkeypatch):
    from apps.chatops.socket_mode import socket_workspaces, wanted

    monkeypatch.delenv("CHATOPS_SLACK_APP_TOKEN", raising=False)
    settings.CHATOPS_SLACK_APP_TOKEN = ""
    plain = SlackWorkspaceFactory(organization=org_a, app_token="")
    assert not wanted()  # a workspace without an app-level token: the HTTP endpoint only
    settings.CHATOPS_SLACK_APP_TOKEN = "xapp-1-A1-shared"
    assert wanted() and socket_workspaces() == [plain]
    settings.CHATOPS_SLACK_APP_TOKEN = ""
    own = SlackWorkspaceFactory(organization=org_a, app_token="xapp-1-A2-own")
    SlackWorkspaceFactory(organization=org_a, app_token="xapp-1-A3-off", enabled=False)
    assert wanted() and socket_workspaces() == [own]
    settings.CHATOPS_SLACK_APP_TOKEN = None
    monkeypatch.setenv("CHATOPS_SLACK_APP_TOKEN", "xapp-1-A1-env")
    assert {w.pk for w in socket_workspaces()} == {plain.pk, own.pk}
