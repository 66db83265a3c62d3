"""The HTTP stub records requests, answers from its script and reports contract errors."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest


def _call(url, method="GET", payload=None, headers=None, timeout=5):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_records_requests_and_answers_queue_then_default(http_stub):
    stub = http_stub(name="api")
    stub.respond(201, json={"id": 7}, headers={"X-Request-Id": "abc"})
    stub.respond(503, body="busy")
    stub.set_default(202, json={"default": True})

    status, headers, body = _call(
        stub.url + "/v1/things?a=1&a=2&b=",
        "POST",
        {"name": "x"},
        {"Content-Type": "application/json", "Authorization": "Bearer t"},
    )
    assert (status, json.loads(body), headers["X-Request-Id"]) == (201, {"id": 7}, "abc")
    assert _call(stub.url + "/v1/things")[0::2] == (503, b"busy")
    assert _call(stub.url + "/v1/other")[0::2] == (202, b'{"default": true}')

    first, second, third = stub.wait_for(3)
    assert first.method == "POST" and first.path == "/v1/things"
    assert first.query == {"a": ["1", "2"], "b": [""]}
    assert first.header("authorization") == "Bearer t"
    assert first.json == {"name": "x"} and first.body == b'{"name": "x"}'
    assert second.method == "GET" and second.json is None and second.body == b""
    assert third.path == "/v1/other"
    stub.assert_no_contract_errors()


def test_queued_response_can_target_a_path(http_stub):
    stub = http_stub()
    stub.respond(200, json={"ok": True}, method="POST", path="/api/chat.postMessage")
    assert _call(stub.url + "/api/auth.test")[0::2] == (200, b"{}")
    assert _call(stub.url + "/api/chat.postMessage", "POST", {})[0::2] == (200, b'{"ok": true}')


def test_validator_failures_answer_400_and_are_reraised(http_stub):
    stub = http_stub(name="pagerduty")

    def events_v2(request):
        assert request.path == "/v2/enqueue", request.path
        assert request.json and request.json.get("routing_key"), "routing_key missing"

    stub.validate(events_v2)
    stub.respond(202, json={"status": "success"})
    assert _call(stub.url + "/v2/enqueue", "POST", {"routing_key": "k"})[0] == 202
    stub.assert_no_contract_errors()

    status, _, body = _call(stub.url + "/v2/enqueue", "POST", {"event_action": "trigger"})
    assert status == 400 and b"routing_key missing" in body
    with pytest.raises(AssertionError, match="routing_key missing"):
        stub.assert_no_contract_errors()


def test_wait_for_times_out_and_delay_is_applied(http_stub):
    stub = http_stub()
    with pytest.raises(AssertionError, match="expected 1 request"):
        stub.wait_for(1, timeout=0.2)

    stub.respond(200, body=b"slow", delay=0.5)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        _call(stub.url + "/slow", timeout=0.2)
    assert time.monotonic() - started < 0.5

    stub.respond(200, body=b"late", delay=0.3)
    thread = threading.Thread(target=_call, args=(stub.url + "/late",))
    thread.start()
    assert [r.path for r in stub.wait_for(2, timeout=2)] == ["/slow", "/late"]
    thread.join()


def test_factory_makes_independent_servers(http_stub):
    one, two = http_stub(name="one"), http_stub(name="two")
    assert one.url != two.url
    _call(one.url + "/x")
    assert len(one.wait_for(1)) == 1 and two.requests == []
