"""A real Alertmanager delivers into the portal: arrival, grouping, resolution, no duplicates."""
import time
from datetime import UTC, datetime, timedelta

import pytest

from apps.alerts.choices import AlertStatus
from apps.alerts.models import Alert, RawPayload
from tests.alerts.factories import IntegrationFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_until(predicate, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def am_alert(name, service, instance, starts_at, ends_at=None):
    alert = {"labels": {"alertname": name, "service": service, "instance": instance, "severity": "critical"},
             "annotations": {"summary": f"{name} on {instance}"}, "startsAt": starts_at,
             "generatorURL": "http://prometheus.example:9090/graph"}
    if ends_at:
        alert["endsAt"] = ends_at
    return alert


def test_real_alertmanager_delivers_groups_resolves_without_duplicates(live_server, org_a, alertmanager_factory):
    integration = IntegrationFactory(organization=org_a, auth_type="bearer", auth_secret="s3cret-bearer")
    url = f"{live_server.url}/hooks/alertmanager/{integration.token}/"
    am = alertmanager_factory(url, bearer_token="s3cret-bearer", group_wait="1s", group_interval="1s",
                              repeat_interval="2s")
    start = datetime.now(UTC) - timedelta(minutes=1)
    firing = [am_alert("HighLatency", "checkout", f"checkout-{i}:8080", start) for i in range(3)]
    firing.append(am_alert("DiskFull", "db", "db-1:9100", start))
    am.post_alerts(firing)

    assert wait_until(lambda: Alert.objects.count() == 4), am.log()[-2000:]
    # Grouped by (alertname, service): the three HighLatency alerts came in one notification.
    group_keys = set(Alert.objects.values_list("group_key", flat=True))
    assert len(group_keys) == 2
    assert set(Alert.objects.filter(name="HighLatency").values_list("group_key", flat=True)).__len__() == 1

    # Repeat notifications (repeat_interval 2s) must not duplicate anything.
    assert wait_until(lambda: Alert.objects.filter(receive_count__gt=1).exists(), timeout=20)
    assert Alert.objects.count() == 4
    assert Alert.objects.filter(status=AlertStatus.FIRING).count() == 4

    # Resolve one: Alertmanager sends it with send_resolved.
    done = datetime.now(UTC) - timedelta(seconds=1)
    am.post_alerts([am_alert("DiskFull", "db", "db-1:9100", start, ends_at=done)])
    assert wait_until(lambda: Alert.objects.filter(name="DiskFull", status=AlertStatus.RESOLVED).exists()), am.log()
    assert Alert.objects.count() == 4
    assert RawPayload.objects.filter(integration=integration).count() >= 3


def test_real_alertmanager_with_wrong_bearer_is_refused_and_nothing_stored(live_server, org_a, alertmanager_factory):
    integration = IntegrationFactory(organization=org_a, auth_type="bearer", auth_secret="right")
    url = f"{live_server.url}/hooks/alertmanager/{integration.token}/"
    am = alertmanager_factory(url, bearer_token="wrong")
    am.post_alerts([am_alert("HighLatency", "checkout", "checkout-1:8080", datetime.now(UTC))])
    assert wait_until(lambda: "401" in am.log() or "status code 401" in am.log(), timeout=20), am.log()[-2000:]
    assert Alert.objects.count() == 0
