"""The outbound HTTP helper: user agent, retries on 503, timeouts named as timeouts."""
import pytest

from aiops import http


def test_user_agent_and_retry_on_503(http_stub):
    stub = http_stub()
    stub.respond(503)
    stub.respond(200, json={"ok": True})
    response = http.request("POST", f"{stub.url}/hook?token=secret", json={"a": 1}, retries=2)
    assert response.status_code == 200
    assert len(stub.requests) == 2
    assert stub.requests[0].header("user-agent").startswith("aiops-remediation-engine/")


def test_timeout_is_reported_as_a_timeout_without_the_secret_url(http_stub, caplog):
    import logging

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)  # the product's logger levels, as in production
    stub = http_stub()
    stub.set_default(200, json={}, delay=2)
    with pytest.raises(http.OutboundError) as caught:
        http.request("GET", f"{stub.url}/services/T000/B000/s3cretpath?token=secret", timeout=0.3, retries=1)
    assert caught.value.timed_out is True
    assert "timed out" in str(caught.value)
    assert "s3cretpath" not in str(caught.value)
    assert "secret" not in caplog.text  # neither the path nor the query string reaches the log


def test_connection_refused_is_not_a_timeout():
    with pytest.raises(http.OutboundError) as caught:
        http.request("GET", "http://127.0.0.1:1/", timeout=1, retries=0)
    assert caught.value.timed_out is False
