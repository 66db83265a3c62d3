"""With real worker processes: pages go out, beat escalates, a killed worker loses nothing."""

import time
from datetime import timedelta

import pytest

from aiops import events
from apps.alerts.services import alert_acknowledge
from apps.alerts.summary import alert_summary
from apps.notifications import services
from apps.notifications.models import Escalation, NotificationDelivery, NotificationTimer
from tests.alerts.factories import AlertFactory
from tests.support.worker import kill_worker

from .conftest import alert_event
from .factories import NotificationChannelFactory, NotificationRuleFactory

pytestmark = pytest.mark.slow


def wait_until(check, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture
def pager(http_stub, org_a):
    stub = http_stub(name="pager")
    stub.channel = NotificationChannelFactory(
        organization=org_a, kind="webhook", config={"url": stub.url + "/page"}
    )
    return stub


def test_beat_escalates_and_acknowledgment_stops_it(notify_workers, org_a, users_a, http_stub):
    hook = http_stub(name="levels")
    level = {
        n: NotificationChannelFactory(
            organization=org_a, kind="webhook", config={"url": f"{hook.url}/level{n}"}
        )
        for n in (1, 2, 3)
    }
    policy = services.escalation_policy_save(
        organization=org_a,
        name="on-call",
        levels=[
            {"delay_minutes": 0, "channels": [level[1]]},
            {"delay_minutes": 1, "channels": [level[2]]},
            {"delay_minutes": 30, "channels": [level[3]]},
        ],
    )
    NotificationRuleFactory(organization=org_a, grouping="per_alert", escalate=True, escalation_policy=policy)
    alert = AlertFactory(organization=org_a)
    worker = notify_workers(beat=True)

    events.publish("alert.received", org=org_a, subject=alert, is_new=True, **alert_summary(alert))
    assert pages(hook, 1) == ["/level1"], worker.log()[-3000:]

    # A minute passes for this escalation (its clock is moved back); beat fires level 2 by itself.
    escalation = Escalation.objects.get()
    Escalation.objects.filter(pk=escalation.pk).update(
        started_at=escalation.started_at - timedelta(seconds=61)
    )
    NotificationTimer.objects.filter(escalation=escalation).update(
        due_at=escalation.started_at - timedelta(seconds=1)
    )
    assert pages(hook, 2) == ["/level1", "/level2"], worker.log()[-3000:]

    alert_acknowledge(alert=alert, user=users_a["operator"])
    assert wait_until(lambda: Escalation.objects.get().status == "acknowledged"), worker.log()[-3000:]
    assert not NotificationTimer.objects.filter(escalation=escalation, fired_at__isnull=True).exists()
    assert pages(hook, 2) == ["/level1", "/level2"]
    escalated = NotificationDelivery.objects.filter(status="escalated").order_by("pk")
    assert list(escalated.values_list("level", flat=True)) == [1, 2]


def pages(stub, n, timeout=40.0) -> list[str]:
    """Paths of the escalation messages a webhook received (it also gets content updates)."""
    wait_until(lambda: len([r for r in stub.requests if r.json["kind"] == "escalation"]) >= n, timeout)
    return [r.path for r in stub.requests if r.json["kind"] == "escalation"]


def test_send_lost_with_its_worker_is_delivered_after_restart(notify_workers, org_a, pager):
    NotificationRuleFactory(organization=org_a, grouping="per_alert", channels=[pager.channel])
    alert = AlertFactory(organization=org_a)
    services.event_process(event=alert_event(alert))  # the decision committed ...
    notify_workers.purge()  # ... and the queued send died with its worker
    assert NotificationDelivery.objects.get(kind="new").status == "pending" and pager.requests == []

    worker = notify_workers(beat=True)  # the restart: beat's outbox re-scan finds the row
    assert pager.wait_for(1, timeout=40), worker.log()[-3000:]
    assert wait_until(lambda: NotificationDelivery.objects.get(kind="new").status == "sent")
    time.sleep(2)
    assert len(pager.requests) == 1


def test_worker_killed_mid_send_is_sent_again_after_its_lease(notify_workers, org_a, pager):
    NotificationRuleFactory(organization=org_a, grouping="per_alert", channels=[pager.channel])
    pager.respond(200, json={}, delay=20)  # the first call hangs; the worker dies during it
    first = notify_workers()
    alert = AlertFactory(organization=org_a)
    events.publish("alert.received", org=org_a, subject=alert, is_new=True, **alert_summary(alert))
    assert pager.wait_for(1, timeout=40), first.log()[-3000:]
    kill_worker(first)

    second = notify_workers(beat=True)
    sent = wait_until(lambda: NotificationDelivery.objects.get(kind="new").status == "sent", timeout=60)
    assert sent, second.log()[-3000:]
    delivery = NotificationDelivery.objects.get(kind="new")
    # At least once: the provider saw the interrupted call (and, on a slow machine, the HTTP client's
    # own retry of it before the kill) and the new attempt; our log has one delivery, sent.
    assert delivery.attempts == 2 and len(pager.requests) >= 2
    assert NotificationDelivery.objects.filter(kind="new").count() == 1
