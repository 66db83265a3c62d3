"""Each provider against a loopback server (or real SMTP) that checks the provider's contract."""

import hashlib
import hmac
import json

import pytest
from django.core.exceptions import ValidationError

from apps.alerts.services import alert_acknowledge
from apps.notifications import services
from apps.notifications.models import NotificationDelivery

from . import contracts
from .conftest import alert_event

pytestmark = pytest.mark.django_db


def test_slack_webhook_test_message(make_channel, slack_webhook, users_a):
    channel = make_channel(
        "slack",
        webhook_url=slack_webhook.url + "/services/T0/B0/XYZ",
        username="AIOps Bot",
        icon_emoji=":robot_face:",
    )
    delivery = services.channel_send_test(channel=channel, user=users_a["admin"])
    assert delivery.status == "sent", delivery.reason
    [req] = slack_webhook.requests
    assert req.path == "/services/T0/B0/XYZ"
    assert req.json["text"] == "🔔 Test notification from AIOps"
    assert req.json["username"] == "AIOps Bot" and req.json["icon_emoji"] == ":robot_face:"
    slack_webhook.assert_no_contract_errors()
    channel.refresh_from_db()
    assert channel.last_test_status == "sent" and channel.last_test_at is not None


def test_slack_webhook_alert_has_no_acknowledge_button_without_interactivity(
    make_channel, slack_webhook, rule_for, alert_a, process
):
    channel = make_channel("slack", webhook_url=slack_webhook.url + "/hook")
    rule_for(channel)
    process(alert_event(alert_a))
    [req] = slack_webhook.wait_for(1)
    labels = [
        e["text"]["text"]
        for a in req.json["attachments"]
        for b in a["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels == ["View Details", "Start Runbook"]
    slack_webhook.assert_no_contract_errors()


def test_slack_api_error_is_a_permanent_failure(slack, slack_bot_channel, users_a):
    slack.respond(200, json={"ok": False, "error": "channel_not_found"})
    delivery = services.channel_send_test(channel=slack_bot_channel, user=users_a["admin"])
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "channel_not_found" in delivery.reason and "channel_not_found" in delivery.response


def test_pagerduty_test_triggers_then_resolves(pagerduty, pagerduty_channel, users_a):
    delivery = services.channel_send_test(channel=pagerduty_channel, user=users_a["admin"])
    assert delivery.status == "sent", delivery.reason
    trigger, resolve = pagerduty.wait_for(2)
    assert trigger.json["event_action"] == "trigger" and resolve.json["event_action"] == "resolve"
    assert trigger.json["dedup_key"] == resolve.json["dedup_key"]
    assert trigger.json["routing_key"] == "R0UT1NGKEY0000000000000000000000"
    pagerduty.assert_no_contract_errors()


def test_pagerduty_severity_map(make_channel, pagerduty, rule_for, alert_a, process):
    channel = make_channel(
        "pagerduty",
        routing_key="k" * 32,
        api_url=pagerduty.url + "/v2/enqueue",
        severity_map={"critical": "error"},
    )
    rule_for(channel)
    process(alert_event(alert_a))
    assert pagerduty.wait_for(1)[0].json["payload"]["severity"] == "error"


def test_teams_adaptive_card(make_channel, teams, rule_for, alert_a, process):
    channel = make_channel("teams", webhook_url=teams.url + "/webhookb2/abc")
    rule_for(channel)
    process(alert_event(alert_a))
    [req] = teams.wait_for(1)
    teams.assert_no_contract_errors()
    card = req.json["attachments"][0]["content"]
    assert card["body"][0]["style"] == "attention"
    assert "CRITICAL: Database Primary Unreachable" in card["body"][0]["items"][0]["text"]
    facts = {
        f["title"]: f["value"] for block in card["body"] if block["type"] == "FactSet" for f in block["facts"]
    }
    assert (
        facts["Instance"] == "db-primary.production" and facts["Impact"] == "All database operations failing"
    )
    assert [a["title"] for a in card["actions"]] == ["View Details", "Start Runbook"]


def test_email_with_auth_threads_followups(
    make_channel, smtp_server_factory, rule_for, alert_a, process, users_a
):
    server = smtp_server_factory(username="relay", password="s3cret")
    channel = make_channel(
        "email",
        smtp_host=server.host,
        smtp_port=server.port,
        security="none",
        username="relay",
        password="s3cret",
        from_address="aiops@example.com",
        to_addresses="oncall@example.com, lead@example.com",
        subject_prefix="[AIOps] ",
    )
    rule_for(channel)
    process(alert_event(alert_a))
    alert_acknowledge(alert=alert_a, user=users_a["operator"])
    process(alert_event(alert_a, "alert.acknowledged", actor=users_a["operator"]))
    first, ack = server.wait_for(2)
    assert first.auth_login == "relay"
    assert first.rcpt_tos == ["oncall@example.com", "lead@example.com"]
    assert first.message["Subject"].strip().startswith("[AIOps] 🚨 CRITICAL: Database Primary Unreachable")
    assert first.message.get_body(("html",)).get_content().count("View Details") == 1
    assert "Acknowledged by a-operator" in ack.message["Subject"]
    assert ack.message["In-Reply-To"] == first.message["Message-ID"]


def test_email_wrong_password_is_a_permanent_failure(make_channel, smtp_server_factory, users_a):
    server = smtp_server_factory(username="relay", password="s3cret")
    channel = make_channel(
        "email",
        smtp_host=server.host,
        smtp_port=server.port,
        security="none",
        username="relay",
        password="wrong",
        from_address="aiops@example.com",
        to_addresses=["oncall@example.com"],
    )
    delivery = services.channel_send_test(channel=channel, user=users_a["admin"])
    assert delivery.status == "failed" and "535" in delivery.reason
    assert server.messages == []


def _signed(secret):
    def check(req):
        timestamp = req.header("x-aiops-timestamp")
        expected = (
            "sha256="
            + hmac.new(secret.encode(), timestamp.encode() + b"." + req.body, hashlib.sha256).hexdigest()
        )
        assert hmac.compare_digest(req.header("x-aiops-signature", ""), expected), "bad signature"

    return check


def test_webhook_template_headers_and_signature(make_channel, http_stub, rule_for, alert_a, process):
    hook = http_stub(name="webhook")
    hook.validate(_signed("hmac-secret"))
    template = (
        '{"summary": {{ headline|json }}, "severity": "{{ severity }}", '
        '"link": {{ url|json }}, "kind": "{{ kind }}"}'
    )
    channel = make_channel(
        "webhook",
        url=hook.url + "/in",
        method="PUT",
        headers={"Authorization": "Bearer t0k"},
        template=template,
        hmac_secret="hmac-secret",
    )
    rule_for(channel)
    process(alert_event(alert_a))
    [req] = hook.wait_for(1)
    hook.assert_no_contract_errors()
    assert req.method == "PUT" and req.header("authorization") == "Bearer t0k"
    assert req.json == {
        "summary": "🚨 CRITICAL: Database Primary Unreachable",
        "severity": "critical",
        "link": alert_event(alert_a)["data"]["url"],
        "kind": "new",
    }


def test_webhook_default_body_is_the_message_json(make_channel, http_stub, users_a):
    hook = http_stub(name="webhook")
    channel = make_channel("webhook", url=hook.url + "/in")
    assert services.channel_send_test(channel=channel, user=users_a["admin"]).status == "sent"
    body = hook.requests[0].json
    assert body["kind"] == "test" and body["message"]["headline"] == "🔔 Test notification from AIOps"
    assert hook.requests[0].header("x-aiops-signature") is None


@pytest.mark.parametrize(
    "kind,config,field",
    [
        ("slack", {}, "webhook_url"),
        ("slack", {"token": "xoxb-1"}, "channel"),
        ("slack", {"webhook_url": "ftp://x"}, "webhook_url"),
        ("pagerduty", {"api_url": "https://e.example.com"}, "routing_key"),
        ("pagerduty", {"routing_key": "k", "severity_map": {"critical": "page"}}, "severity_map"),
        ("teams", {"webhook_url": "not a url"}, "webhook_url"),
        ("email", {"smtp_host": "h", "from_address": "a@b.c", "to_addresses": ["nope"]}, "to_addresses"),
        (
            "email",
            {"smtp_host": "h", "from_address": "a@b.c", "to_addresses": ["x@y.z"], "smtp_port": 0},
            "smtp_port",
        ),
        ("webhook", {"url": "https://h/x", "template": "{% if %}"}, "template"),
        ("webhook", {"url": "https://h/x", "method": "DELETE"}, "method"),
        ("webhook", {"url": "https://h/x", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_configs_are_refused(org_a, kind, config, field):
    with pytest.raises(ValidationError) as exc:
        services.channel_create(organization=org_a, name="x", kind=kind, config=config)
    assert field in json.dumps(exc.value.message_dict)


def test_config_is_encrypted_at_rest_and_merged_on_update(org_a):
    from django.db import connection

    channel = services.channel_create(
        organization=org_a, name="pd", kind="pagerduty", config={"routing_key": "very-secret-key"}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT config FROM notification_channels WHERE id = %s", [channel.pk])
        raw = cursor.fetchone()[0]
    assert "very-secret-key" not in raw and raw.startswith("fernet:")
    services.channel_update(channel=channel, config={"api_url": "https://events.example.com/v2/enqueue"})
    channel.refresh_from_db()
    assert channel.config == {
        "routing_key": "very-secret-key",
        "api_url": "https://events.example.com/v2/enqueue",
    }


def test_contract_validators_reject_bad_bodies(http_stub):
    """The stubs' validators really check: a body missing PagerDuty's routing_key is refused with 400."""
    import requests

    stub = http_stub(name="pd")
    stub.validate(contracts.pagerduty_event)
    response = requests.post(stub.url + "/v2/enqueue", json={"event_action": "trigger"}, timeout=5)
    assert response.status_code == 400 and stub.contract_errors
    assert NotificationDelivery.objects.count() == 0
