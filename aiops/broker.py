"""The embedded default's broker: Kombu's filesystem transport, made safe for two processes.

Kombu's transport writes a message file in place, while the worker lists the folder and moves
files out; a reader could take a file the writer had not filled yet, and the worker died on
`JSONDecodeError` (the `make run` crash after nine minutes). Here a message is written under a
name no reader matches, flushed, and renamed into the queue folder (atomic on one filesystem), so
a reader only ever sees whole files. The reader takes a file by renaming it into its own folder
beside the queue (one rename succeeds, the other reader moves on), and a file that still cannot be
read is moved to `broken/` with an error in the log instead of stopping the worker.

Messages a worker took and then died with are lost here (the transport keeps no unacked copy on
disk); the event outbox re-sends their events, which is the whole point of it.

Kombu's polling loop sleeps a whole polling interval whenever it gets nothing, and it gets nothing
both when the folder is empty and when the worker already holds as many messages as its prefetch
allows. The second case made the embedded worker take two messages per interval however fast its
tasks ran (2 messages/s with Kombu's 1 s default: a storm's backlog took many minutes to drain).
Here a full prefetch waits a few milliseconds for an acknowledgement instead; only an empty
folder waits the polling interval.
"""
from __future__ import annotations

import logging
import os
import uuid
from time import monotonic, sleep

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.transport.virtual import Empty
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".partial-{name}")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _taken_folder(self) -> str:
        folder = os.path.join(self.data_folder_in, "..", "taken")
        os.makedirs(folder, exist_ok=True)
        return folder

    def _get(self, queue):
        wanted = f"{queue}.msg"
        taken = self._taken_folder()
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.startswith(".") or filename.partition(".")[2] != wanted:
                continue
            mine = os.path.join(taken, f"{os.getpid()}-{filename}")
            try:
                os.rename(os.path.join(self.data_folder_in, filename), mine)
            except OSError:
                continue  # another reader took it
            try:
                with open(mine, "rb") as handle:
                    body = handle.read()
                message = loads(bytes_to_str(body))
            except (OSError, ValueError):
                broken = os.path.join(self.data_folder_in, "..", "broken")
                os.makedirs(broken, exist_ok=True)
                os.replace(mine, os.path.join(broken, filename))
                logger.error("unreadable broker message moved aside", extra={"file": filename})
                continue
            os.remove(mine)
            return message
        raise Empty()


class Transport(filesystem.Transport):
    """`CELERY_BROKER_TRANSPORT = "aiops.broker:Transport"` with the `filesystem://` URL."""

    Channel = Channel
    # No host to connect to: without this Kombu logs "No hostname was supplied" on every connect.
    default_connection_params = {}
    # How long a worker whose prefetch is full waits before looking again for a free slot.
    busy_wait = 0.005

    def drain_events(self, connection, timeout=None):
        started = monotonic()
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                if timeout is not None and monotonic() - started >= timeout:
                    raise TimeoutError() from None
                wait = self.busy_wait if self._prefetch_full() else self.polling_interval
                sleep(min(wait, timeout) if timeout else wait)  # as Kombu's: never sleep past the timeout

    def _prefetch_full(self) -> bool:
        """True when every consuming channel holds all the unacknowledged messages it may."""
        consuming = [channel for channel in self.channels if channel._consumers]
        return bool(consuming) and not any(channel.qos.can_consume() for channel in consuming)
