"""Slack's documented contracts, as validators for the loopback stubs of ChatOps tests.

Sources (docs.slack.dev): Block Kit limits (a button's text is plain_text ≤ 75 characters, its
action_id ≤ 255 and unique in its block, value ≤ 2000, url ≤ 3000, style "primary" or "danger");
"Handling user interaction" (a response_url takes a JSON POST with text/blocks, response_type
"ephemeral"/"in_channel", replace_original, delete_original); the Web API (a POST with
`Authorization: Bearer xoxb-…`, JSON or form-encoded, the method's required arguments).
A validator raises AssertionError; the stub answers 400 as Slack would.
"""
from __future__ import annotations

import json as jsonlib
from urllib.parse import parse_qs

BLOCK_TYPES = {"section", "context", "actions", "divider", "header", "image", "rich_text", "input"}
STYLES = {"primary", "danger"}
WEB_API_REQUIRED = {
    "chat.postMessage": ("channel",),
    "chat.update": ("channel", "ts"),
    "views.open": ("trigger_id", "view"),
    "conversations.create": ("name",),
    "conversations.invite": ("channel", "users"),
}


def _text(obj, limit: int, *, plain_only: bool = False) -> None:
    assert isinstance(obj, dict), obj
    assert obj.get("type") in (("plain_text",) if plain_only else ("plain_text", "mrkdwn")), obj
    assert isinstance(obj.get("text"), str) and 0 < len(obj["text"]) <= limit, obj


def element(el: dict) -> None:
    kind = el.get("type")
    assert kind in ("button", "static_select", "overflow"), kind
    assert len(el.get("action_id", "")) <= 255
    if kind == "button":
        _text(el.get("text"), 75, plain_only=True)
        assert "url" in el or "action_id" in el, el
        assert len(el.get("url", "")) <= 3000 and len(el.get("value", "")) <= 2000
        assert el.get("style", "primary") in STYLES, el.get("style")


def blocks(items) -> None:
    assert isinstance(items, list) and len(items) <= 50, "at most 50 blocks"
    for block in items:
        assert block.get("type") in BLOCK_TYPES, block.get("type")
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                _text(block["text"], 3000)
            assert len(block.get("fields", [])) <= 10
        if block["type"] == "actions":
            elements = block.get("elements") or []
            assert 0 < len(elements) <= 25, "an actions block has 1 to 25 elements"
            ids = [e["action_id"] for e in elements if "action_id" in e]
            assert len(ids) == len(set(ids)), f"action_id must be unique in its block: {ids}"
            for el in elements:
                element(el)


def modal(view: dict) -> None:
    """A views.open modal (Block Kit "Modals"): title/submit/close plain_text ≤ 24, ≤ 100 blocks,
    private_metadata ≤ 3000, callback_id ≤ 255; input blocks need a label and a form element."""
    assert isinstance(view, dict) and view.get("type") == "modal", view
    _text(view.get("title"), 24, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            _text(view[key], 24, plain_only=True)
    items = view.get("blocks") or []
    assert 0 < len(items) <= 100, "a modal has 1 to 100 blocks"
    assert len(view.get("private_metadata", "")) <= 3000 and len(view.get("callback_id", "")) <= 255
    inputs = [b for b in items if b.get("type") == "input"]
    if inputs:
        assert "submit" in view, "a modal with input blocks needs a submit button"
    for block in inputs:
        _text(block.get("label"), 2000, plain_only=True)
        el = block.get("element") or {}
        assert el.get("type") in ("plain_text_input", "static_select", "number_input"), el.get("type")
        assert el.get("action_id") and len(el["action_id"]) <= 255
        assert len(el.get("initial_value", "")) <= el.get("max_length", 3000)
    blocks([b for b in items if b.get("type") != "input"])


def message(body: dict) -> None:
    assert body.get("text") or body.get("blocks"), "Slack needs text or blocks"
    blocks(body.get("blocks", []))
    for attachment in body.get("attachments", []):
        blocks(attachment.get("blocks", []))


def response_url(req) -> None:
    """A response_url answer: a JSON POST, response_type and the booleans as documented."""
    assert req.method == "POST", req.method
    assert (req.header("content-type") or "").startswith("application/json"), req.header("content-type")
    body = req.json
    assert isinstance(body, dict), "response_url needs a JSON object"
    message(body)
    assert body.get("response_type", "ephemeral") in ("ephemeral", "in_channel"), body.get("response_type")
    for flag in ("replace_original", "delete_original"):
        assert isinstance(body.get(flag, False), bool), flag
    assert len(body.get("text", "")) <= 3000


def web_api(req) -> None:
    """One Web API call: POST /api/<method>, a bot token, JSON or form body, the method's required args."""
    assert req.method == "POST", req.method
    assert req.path.startswith("/api/"), req.path
    method = req.path[len("/api/"):]
    assert (req.header("authorization") or "").startswith("Bearer xoxb-"), "a bot token (Bearer xoxb-…) is needed"
    kind = (req.header("content-type") or "").split(";")[0].strip()
    if kind == "application/json":
        args = req.json
        assert isinstance(args, dict), "a JSON body is an object"
    else:
        assert kind == "application/x-www-form-urlencoded", kind
        args = {k: v[0] for k, v in parse_qs(req.text).items()}
    for name in WEB_API_REQUIRED.get(method, ()):
        assert args.get(name), f"{method} needs {name}"
    if method in ("chat.postMessage", "chat.update"):
        message(args)
    if method == "views.open":
        view_ = args["view"]
        modal(jsonlib.loads(view_) if isinstance(view_, str) else view_)
    if method == "conversations.create":
        name = args["name"]
        assert len(name) <= 80 and name == name.lower() and " " not in name, name


def oauth_v2_access(client_id: str, client_secret: str, redirect_uri: str):
    """A validator for `oauth.v2.access` (docs.slack.dev/reference/methods/oauth.v2.access): a POST,
    form-encoded or JSON, the app's client_id/client_secret (HTTP Basic, as Slack recommends, or as
    arguments), the `code` from the callback, and the same `redirect_uri` the authorize step sent."""
    import base64

    def check(req) -> None:
        assert req.method == "POST", req.method
        assert req.path == "/api/oauth.v2.access", req.path
        kind = (req.header("content-type") or "").split(";")[0].strip()
        if kind == "application/json":
            args = req.json
        else:
            assert kind == "application/x-www-form-urlencoded", kind
            args = {k: v[0] for k, v in parse_qs(req.text).items()}
        auth = req.header("authorization") or ""
        if auth.startswith("Basic "):
            given_id, _sep, given_secret = base64.b64decode(auth[6:]).decode().partition(":")
        else:
            given_id, given_secret = args.get("client_id", ""), args.get("client_secret", "")
        assert (given_id, given_secret) == (client_id, client_secret), "bad client_id/client_secret"
        assert args.get("code"), "oauth.v2.access needs the code"
        given = args.get("redirect_uri")
        assert given == redirect_uri, f"redirect_uri {given!r} != {redirect_uri!r}"
    return check
