"""The embedded broker (aiops/broker.py) on real folders: whole messages only, one reader per
message, a broken file set aside, and a full prefetch that does not stall the worker's loop."""
import contextlib
import os

import pytest
from kombu import Connection

from aiops import broker


@pytest.fixture
def connection(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    options = {"data_folder_in": str(queue), "data_folder_out": str(queue), "store_processed": False,
               "polling_interval": 0.2}
    with Connection("filesystem://", transport=broker.Transport, transport_options=options) as conn:
        yield conn, queue


def test_a_reader_skips_a_message_still_being_written(connection):
    conn, queue = connection
    channel = conn.default_channel
    (queue / ".partial-1_x.default.msg").write_text('{"bo')  # the writer has not renamed it yet
    with pytest.raises(broker.Empty):
        channel._get("default")
    channel._put("default", {"body": "whole"})
    assert channel._get("default") == {"body": "whole"}
    assert sorted(p.name for p in queue.iterdir()) == [".partial-1_x.default.msg"]


def test_only_one_of_two_readers_gets_a_message(connection, tmp_path):
    conn, queue = connection
    first = conn.default_channel
    with Connection("filesystem://", transport=broker.Transport,
                    transport_options=conn.transport_options) as other:
        second = other.default_channel
        first._put("default", {"n": 1})
        got = []
        for channel in (first, second):
            with contextlib.suppress(broker.Empty):
                got.append(channel._get("default"))
        assert got == [{"n": 1}]


def test_an_unreadable_message_is_moved_aside_not_fatal(connection, caplog):
    conn, queue = connection
    channel = conn.default_channel
    (queue / "0_broken.default.msg").write_text("{not json")
    channel._put("default", {"n": 2})
    assert channel._get("default") == {"n": 2}  # the broken file did not stop the reader
    assert os.listdir(queue.parent / "broken") == ["0_broken.default.msg"]
    assert "unreadable broker message" in caplog.text


def test_a_full_prefetch_waits_for_an_ack_not_a_polling_interval(connection, monkeypatch):
    """Kombu sleeps its polling interval whenever it gets nothing; with the prefetch full that
    capped the worker at prefetch/interval messages a second."""
    conn, _ = connection
    transport = conn.transport
    channel = conn.default_channel
    channel.basic_qos(prefetch_count=1)
    channel.basic_consume("default", False, lambda message: None, "test")
    for body in ("a", "b"):
        channel.basic_publish(channel.prepare_message(body), exchange="", routing_key="default")
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        if len(slept) == 3:  # the message it holds is acknowledged while it waits
            channel.qos.ack(next(iter(channel.qos._delivered)))

    monkeypatch.setattr(broker, "sleep", sleep)
    transport.drain_events(conn, timeout=5)  # takes "a": the prefetch is now full
    transport.drain_events(conn, timeout=5)  # waits for the ack, then takes "b"
    assert slept == [transport.busy_wait] * 3
    assert max(slept) < transport.polling_interval

    slept.clear()
    channel.qos.ack(next(iter(channel.qos._delivered)))
    with pytest.raises(OSError):  # socket.timeout: nothing left, an idle folder waits the full interval
        transport.drain_events(conn, timeout=0.3)
    assert slept and set(slept) == {transport.polling_interval}
