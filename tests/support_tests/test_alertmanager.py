"""Debian's Alertmanager really delivers v4 webhooks, firing then resolved, with a bearer."""

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.slow


def test_alertmanager_delivers_firing_then_resolved(alertmanager_factory, http_stub):
    receiver = http_stub(name="webhook-receiver")
    am = alertmanager_factory(receiver.url + "/hooks/alertmanager/tok123/", bearer_token="s3cret")

    alert = {
        "labels": {"alertname": "HighCPU", "service": "checkout", "severity": "critical"},
        "annotations": {"summary": "CPU above 90%"},
        "startsAt": datetime.now(UTC) - timedelta(minutes=1),
        "generatorURL": "http://prometheus.example/graph",
    }
    am.post_alerts([alert])

    [firing] = receiver.wait_for(1, timeout=15)
    assert firing.method == "POST" and firing.path == "/hooks/alertmanager/tok123/"
    assert firing.header("authorization") == "Bearer s3cret"
    body = firing.json
    assert body["version"] == "4" and body["status"] == "firing"
    assert body["receiver"] == "aiops"
    assert body["groupLabels"] == {"alertname": "HighCPU", "service": "checkout"}
    assert body["externalURL"] == am.url
    [sent] = body["alerts"]
    assert sent["status"] == "firing" and sent["labels"] == alert["labels"]
    assert sent["annotations"] == alert["annotations"] and sent["fingerprint"]

    am.post_alerts([{**alert, "endsAt": datetime.now(UTC) - timedelta(seconds=5)}])
    requests = receiver.wait_for(2, timeout=15)
    resolved = requests[-1].json
    assert resolved["status"] == "resolved", am.log()
    assert resolved["groupKey"] == body["groupKey"]
    [sent] = resolved["alerts"]
    assert sent["status"] == "resolved" and sent["fingerprint"] == body["alerts"][0]["fingerprint"]
