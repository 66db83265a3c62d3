"""The providers' documented request shapes, as validators for the loopback stubs.

Sources: Slack's incoming-webhook, chat.postMessage and chat.update references and Block Kit
limits; PagerDuty's Events API v2 reference; Microsoft's "send Adaptive Cards with an incoming
webhook" envelope. A validator raises AssertionError; the stub answers 400 like the provider.
"""

import re

SLACK_BLOCK_TYPES = {"section", "context", "actions", "divider", "header", "image", "rich_text"}
PD_ACTIONS = {"trigger", "acknowledge", "resolve"}
PD_SEVERITIES = {"critical", "error", "warning", "info"}
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _json(req):
    assert req.method == "POST", req.method
    assert req.header("content-type", "").startswith("application/json"), req.header("content-type")
    assert isinstance(req.json, dict), "body is not a JSON object"
    return req.json


def _blocks(blocks):
    assert isinstance(blocks, list) and len(blocks) <= 50
    for block in blocks:
        assert block["type"] in SLACK_BLOCK_TYPES, block["type"]
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert (
                    block["text"]["type"] in ("mrkdwn", "plain_text") and len(block["text"]["text"]) <= 3000
                )
            assert len(block.get("fields", [])) <= 10
        if block["type"] == "actions":
            assert 0 < len(block["elements"]) <= 25
            for element in block["elements"]:
                assert element["type"] == "button"
                assert element["text"]["type"] == "plain_text" and len(element["text"]["text"]) <= 75
                assert "url" in element or "action_id" in element
                assert len(element.get("action_id", "")) <= 255


def slack_message(body):
    assert body.get("text") or body.get("blocks"), "Slack needs text or blocks"
    _blocks(body.get("blocks", []))
    for attachment in body.get("attachments", []):
        assert HEX.match(attachment.get("color", "#000000")), attachment.get("color")
        _blocks(attachment.get("blocks", []))


def slack_webhook(req):
    slack_message(_json(req))


def slack_api(req):
    body = _json(req)
    assert req.header("authorization", "").startswith("Bearer xoxb-"), "bot token missing"
    assert req.path in ("/api/chat.postMessage", "/api/chat.update"), req.path
    assert body.get("channel"), "channel missing"
    if req.path == "/api/chat.update":
        assert body.get("ts"), "chat.update needs ts"
    slack_message(body)


def pagerduty_event(req):
    body = _json(req)
    assert req.path == "/v2/enqueue", req.path
    assert isinstance(body.get("routing_key"), str) and body["routing_key"], "routing_key"
    assert body.get("event_action") in PD_ACTIONS, body.get("event_action")
    assert isinstance(body.get("dedup_key"), str) and 0 < len(body["dedup_key"]) <= 255, "dedup_key"
    if body["event_action"] == "trigger":
        payload = body["payload"]
        assert 0 < len(payload["summary"]) <= 1024
        assert payload["source"]
        assert payload["severity"] in PD_SEVERITIES
        for link in body.get("links", []):
            assert link["href"].startswith("http")


def teams_card(req):
    body = _json(req)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"]
    assert isinstance(card["body"], list) and card["body"]
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl" and action["url"].startswith("http")


PD_ACCEPTED = {"status": "success", "message": "Event processed"}


def slack_ok(channel="C024BE91L", ts="1700000000.000100"):
    return {"ok": True, "channel": channel, "ts": ts, "message": {"text": "..."}}
