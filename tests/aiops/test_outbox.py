"""The transactional event log: outbox rows with the producer's commit, receipts with the
subscriber's, the sweeper re-sending what was lost, and /readyz telling the truth about workers."""
from datetime import timedelta

import pytest
from celery import shared_task
from django.db import transaction
from django.utils import timezone

from aiops import events, heartbeat, outbox
from aiops.models import Event, EventReceipt, Heartbeat

received: list = []


@shared_task(name="tests.outbox.collect")
def collect(batch):
    """A batch subscriber that records what it did, once per event (the kernel's consume)."""
    events.consume(collect.name, batch, lambda fresh: received.extend(e["data"]["n"] for e in fresh))


@shared_task(name="tests.outbox.fragile")
def fragile(batch):
    def work(fresh):
        done = []
        for event in fresh:
            if event["data"]["n"] == "poison":
                raise ValueError("a producer bug")
            done.append(event["data"]["n"])
        transaction.on_commit(lambda: received.extend(done))  # what committed, as rows would be
    events.consume(fragile.name, batch, work)


@pytest.fixture
def collector(own_subscribers):
    received.clear()
    events.subscribe("alert.silenced", collect, batch=True)
    yield received
    received.clear()


def _age(seconds):
    """Make every event look `seconds` old, as if the sweeper's grace period had passed."""
    then = timezone.now() - timedelta(seconds=seconds)
    Event.objects.update(created_at=then, next_sweep_at=then)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_written_with_the_producers_commit_and_not_without_it(org_a, collector):
    with transaction.atomic():
        events.publish("alert.silenced", org=org_a, n=1)
        with transaction.atomic():  # a savepoint rolled back: its events go with it
            events.publish("alert.silenced", org=org_a, n=99)
            transaction.set_rollback(True)
        assert Event.objects.count() == 0  # written by one statement just before the commit
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("alert.silenced", org=org_a, n=2)
        raise RuntimeError("the producer rolls back")
    assert list(Event.objects.values_list("payload__data__n", flat=True)) == [1]
    assert collector == [1]
    assert EventReceipt.objects.filter(subscriber="tests.outbox.collect").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_message_does_nothing_twice(org_a, collector, dispatched_events):
    with transaction.atomic():
        for n in range(3):
            events.publish("alert.silenced", org=org_a, n=n)
    assert collector == [0, 1, 2]
    collect.apply(args=[dispatched_events])  # the broker delivers the batch again
    collect.apply(args=[list(reversed(dispatched_events))])  # and again, shuffled
    for event in dispatched_events:
        collect.apply(args=[event])  # and one at a time, as a lone dict
    assert collector == [0, 1, 2]


@pytest.mark.django_db(transaction=True)
def test_a_lost_message_is_swept_to_its_subscriber_after_the_grace_period(org_a, collector, monkeypatch):
    monkeypatch.setattr(events, "dispatch_many", lambda batch: None)  # the broker loses the wake-up call
    with transaction.atomic():
        events.publish("alert.silenced", org=org_a, n=1)
        events.publish("alert.silenced", org=org_a, n=2)
    assert collector == []
    assert outbox.sweep().resent == 0  # inside the grace period nothing is re-sent
    assert outbox.backlog().oldest_unprocessed_seconds is None

    _age(120)
    assert outbox.backlog().by_subscriber == {"tests.outbox.collect": 2}
    result = outbox.sweep()
    assert (result.resent, result.messages) == (2, 1)  # one batch message for the batch subscriber
    assert collector == [1, 2]
    _age(120)
    closed = outbox.sweep()
    assert (closed.closed, closed.resent) == (2, 0)
    assert not Event.objects.filter(next_sweep_at__isnull=False).exists()
    assert collector == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_events_the_broker_refuses_wait_in_the_outbox_and_go_out_once_it_is_back(
        org_a, collector, dead_broker, client):
    kill, revive = dead_broker
    kill()
    with transaction.atomic():  # a webhook's worth: the fan-out message is refused
        events.publish("alert.silenced", org=org_a, n=1)
        events.publish("alert.silenced", org=org_a, n=2)
    with transaction.atomic():  # a lone event: the subscriber's own message is refused
        events.publish("alert.silenced", org=org_a, n=3)
    assert Event.objects.count() == 3
    _age(60)
    assert outbox.sweep().messages == 0  # still down: nothing sent, tried again after a backoff
    assert collector == []

    revive()
    body = client.get("/readyz").json()
    assert body["open_events"] == 3 and body["unprocessed_by_subscriber"] == {"tests.outbox.collect": 3}
    _age(60)
    assert outbox.sweep().resent == 3
    assert collector == [1, 2, 3]
    _age(600)
    assert outbox.sweep().closed == 3
    _age(600)
    assert outbox.sweep().resent == 0  # sent once, not again
    assert collector == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_a_long_broker_outage_neither_backs_off_nor_gives_up_the_events(org_a, collector, dead_broker, settings):
    """Refused sends are not delivery attempts: after more sweeps than AIOPS_EVENT_MAX_SWEEPS
    against a dead broker the events are still open, due one grace period later, and go out once."""
    settings.AIOPS_EVENT_MAX_SWEEPS = 3
    kill, revive = dead_broker
    kill()
    with transaction.atomic():
        events.publish("alert.silenced", org=org_a, n=1)
    for _ in range(6):
        _age(3600)
        result = outbox.sweep()
        assert result.resent == 1 and result.messages == 0 and result.given_up == 0
        row = Event.objects.get()
        assert row.sweeps == 0 and row.given_up_at is None
        assert row.next_sweep_at - timezone.now() <= timedelta(seconds=events.grace_seconds())
    revive()
    _age(3600)
    assert outbox.sweep().messages == 1
    assert collector == [1]
    assert Event.objects.get().sweeps == 1


@pytest.mark.django_db(transaction=True)
def test_a_poison_event_costs_only_itself_and_is_given_up_after_its_sweeps(org_a, own_subscribers, settings):
    settings.AIOPS_EVENT_MAX_SWEEPS = 2
    received.clear()
    events.subscribe("alert.silenced", fragile, batch=True)
    with transaction.atomic():  # a subscriber's failure never reaches the producer
        for n in ("a", "poison", "b"):
            events.publish("alert.silenced", org=org_a, n=n)
    assert received == ["a", "b"]  # the batch was processed again one event at a time
    assert set(EventReceipt.objects.values_list("subscriber", flat=True)) == {"tests.outbox.fragile"}
    assert EventReceipt.objects.count() == 2
    for _ in range(2):
        _age(3600)
        assert outbox.sweep().resent == 1
    _age(3600)
    assert outbox.sweep().given_up == 1
    assert outbox.backlog().given_up == 1
    poison = Event.objects.get(given_up_at__isnull=False)
    assert poison.payload["data"]["n"] == "poison"
    assert outbox.reopen(event_ids=[poison.pk]) == 1
    assert Event.objects.get(pk=poison.pk).next_sweep_at is not None
    received.clear()


@pytest.mark.django_db(transaction=True)
def test_events_without_subscribers_are_closed_at_once_and_pruned_after_the_retention(org_a, own_subscribers):
    with transaction.atomic():
        events.publish("alert.silenced", org=org_a, n=1)
    event = Event.objects.get()
    assert event.completed_at is not None and event.next_sweep_at is None
    EventReceipt.objects.create(event_id=event.pk, subscriber="x", processed_at=timezone.now() - timedelta(days=30))
    Event.objects.update(created_at=timezone.now() - timedelta(days=30))
    assert outbox.prune() == {"events": 1, "receipts": 1}


@pytest.mark.django_db(transaction=True)
def test_claim_outside_a_transaction_is_a_programming_error():
    with pytest.raises(RuntimeError):
        events.claim("x", [{"id": "6d1f1d1a-3a47-4f7e-9a8e-2d0bb2c1a001"}])


@pytest.mark.django_db
def test_readyz_names_a_missing_worker_and_beat_and_a_backlog(client, settings, org_a, collector):
    from config.celery import app

    app.conf.task_always_eager = False  # as in production: the web process is not the worker
    try:
        body = client.get("/readyz")
        assert body.status_code == 503
        assert set(body.json()["failures"]) >= {"worker", "beat"}
        heartbeat.beat("worker", "celery@test")
        heartbeat.beat("beat", "beat@test")
        assert client.get("/readyz").status_code in (200, 503)
        assert not {"worker", "beat"} & set(client.get("/readyz").json()["failures"])
        Heartbeat.objects.filter(kind="worker").update(seen_at=timezone.now() - timedelta(minutes=5))
        assert client.get("/readyz").json()["failures"]["worker"].startswith("worker last seen 300")

        heartbeat.beat("worker", "celery@test")
        Event.objects.create(id="6d1f1d1a-3a47-4f7e-9a8e-2d0bb2c1a002", name="alert.silenced", payload={},
                             organization_id=org_a.pk, created_at=timezone.now() - timedelta(minutes=10),
                             next_sweep_at=timezone.now())
        body = client.get("/readyz").json()
        assert body["failures"]["events"].startswith("oldest unprocessed event is 600")
        assert body["unprocessed_by_subscriber"] == {"tests.outbox.collect": 1}
    finally:
        app.conf.task_always_eager = True


@pytest.mark.django_db
def test_admins_see_a_banner_when_work_piles_up_and_others_do_not(client, org_a, users_a, django_user_model):
    from django.core.cache import cache

    from config.celery import app

    app.conf.task_always_eager = False
    cache.delete("aiops:work-failures")
    try:
        client.force_login(users_a["admin"])
        assert "Background work is not keeping up" in client.get("/").content.decode()
        client.force_login(users_a["operator"])
        assert "Background work is not keeping up" not in client.get("/").content.decode()
    finally:
        app.conf.task_always_eager = True
        cache.delete("aiops:work-failures")


@pytest.mark.django_db(transaction=True)
def test_the_outbox_admin_is_for_superusers_only_and_shows_the_backlog(client, org_a, users_a, django_user_model):
    with transaction.atomic():
        events.publish("alert.silenced", org=org_a, n=1)
    url = "/admin/aiops/event/"
    client.force_login(users_a["owner"])
    assert client.get(url).status_code in (302, 403, 404)
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-1234")
    client.force_login(root)
    page = client.get(url)
    assert page.status_code == 200 and "alert.silenced" in page.content.decode()
    assert "open event(s)" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_transactions_events_are_written_by_one_statement_before_its_commit(org_a, collector):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for n in range(30):
            events.publish("alert.silenced", org=org_a, n=n)
    inserts = [q["sql"] for q in queries.captured_queries if 'INSERT INTO "aiops_event"' in q["sql"]]
    # executemany: one statement (pipelined on PostgreSQL), which Django logs once per batch
    assert len(inserts) == 1, inserts
    assert Event.objects.count() == 30 and collector == list(range(30))


def _queue_depth(name):
    from config.celery import app

    with app.connection_for_write() as conn, conn.channel() as channel:
        try:
            return channel.queue_declare(queue=name, passive=True).message_count
        except Exception:
            return 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("chaos_broker", ["redis", "embedded"], indirect=True)
def test_a_sweep_does_not_queue_a_second_copy_behind_a_waiting_one(chaos_broker, org_a, collector, monkeypatch):
    """A subscriber's queue that still holds messages (a slow worker) gets no re-sends while it
    does, for a few grace periods; then the event goes out anyway."""
    dispatch = events.dispatch_many
    monkeypatch.setattr(events, "dispatch_many", lambda batch: None)  # this event's wake-up is lost
    with transaction.atomic():
        events.publish("alert.silenced", org=org_a, n=1)
    monkeypatch.setattr(events, "dispatch_many", dispatch)
    collect.apply_async(args=[[]], queue="default")  # other work waiting for the slow worker
    assert _queue_depth("default") == 1
    grace = events.grace_seconds()
    _age(grace + 1)
    result = outbox.sweep()
    assert (result.postponed, result.resent) == (1, 0)
    assert _queue_depth("default") == 1
    event = Event.objects.get()
    assert event.sweeps == 0 and event.next_sweep_at > timezone.now()

    _age(grace * outbox.POSTPONE_GRACES + 1)  # waited long enough: re-sent even behind the queue
    result = outbox.sweep()
    assert (result.postponed, result.resent) == (0, 1)
    assert _queue_depth("default") == 2


@pytest.mark.django_db(transaction=True)
def test_the_backlog_costs_two_queries_whatever_the_number_of_subscribers(
        org_a, collector, dead_broker, django_assert_num_queries):
    kill, _revive = dead_broker
    kill()
    with transaction.atomic():
        for n in range(3):
            events.publish("alert.silenced", org=org_a, n=n)
    _age(60)
    with django_assert_num_queries(2):
        found = outbox.backlog()
    assert found.open_events == 3 and found.given_up == 0
    assert found.by_subscriber == {"tests.outbox.collect": 3}
    assert 55 <= found.oldest_unprocessed_seconds <= 120
