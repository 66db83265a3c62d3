"""A loopback Socket Mode server: the WebSocket end of Slack's Socket Mode, speaking its envelope.

Slack's documented flow (docs.slack.dev, "Using Socket Mode"): the app calls `apps.connections.open`
with its app-level token (`xapp-…`) and gets a `wss://` URL; after the WebSocket handshake Slack
sends `{"type": "hello", ...}`, then envelopes `{"envelope_id", "type": "slash_commands" |
"interactive" | "events_api", "payload", "accepts_response_payload"}`; the app must acknowledge each
with `{"envelope_id": <same>, "payload": {...}?}` within 3 seconds. This server (plain ws:// on
127.0.0.1) does the RFC 6455 handshake and framing, answers pings, records acknowledgements and
checks them against that contract (`contract_errors`).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def connections_open(req) -> None:
    """`apps.connections.open` takes the app-level token (xapp-); every other method is a bot-token call."""
    from tests.support import slack as contract

    if req.path != "/api/apps.connections.open":
        contract.web_api(req)
        return
    assert req.method == "POST", req.method
    assert (req.header("authorization") or "").startswith("Bearer xapp-"), "apps.connections.open needs an xapp- token"


AUTH_TEST = {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "aiops", "team_id": "T0SOCK",
             "user_id": "UBOT", "bot_id": "BBOT", "is_enterprise_install": False}


class SocketModeServer:
    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/link/?ticket=loopback"
        self._lock = threading.Condition()
        self._conn: socket.socket | None = None
        self._sent: set[str] = set()
        self.acks: list[dict] = []
        self.contract_errors: list[str] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True, name="socket-mode-stub").start()

    # -- the test's side ------------------------------------------------------------------
    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: self._conn is not None, timeout):
                raise TimeoutError("no Socket Mode client connected")

    def send_envelope(self, envelope_id: str, kind: str, payload: dict) -> None:
        self._sent.add(envelope_id)
        self._send_text(json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                    "accepts_response_payload": kind == "slash_commands", "retry_attempt": 0}))

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict:
        with self._lock:
            found = self._lock.wait_for(lambda: [a for a in self.acks if a.get("envelope_id") == envelope_id],
                                        timeout)
        if not found:
            raise TimeoutError(f"envelope {envelope_id} was not acknowledged")
        return found[0]

    def stop(self) -> None:
        self._stop = True
        for sock in (self._conn, self._listener):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    # -- the wire ------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _addr = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        head = request.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _s, v in (line.partition(":") for line in head[1:])}
        key = headers.get("sec-websocket-key", "")
        if headers.get("upgrade", "").lower() != "websocket" or not key or headers.get("sec-websocket-version") != "13":
            self.contract_errors.append(f"not a WebSocket handshake: {head[0]!r} {headers}")
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        with self._lock:
            self._conn = conn
            self._lock.notify_all()
        self._send_text(json.dumps({"type": "hello", "num_connections": 1,
                                    "debug_info": {"host": "loopback", "approximate_connection_time": 3600},
                                    "connection_info": {"app_id": "A1"}}))
        buffer = b""
        while not self._stop:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while True:
                frame, buffer = _parse(buffer)
                if frame is None:
                    break
                self._on_frame(*frame)

    def _on_frame(self, opcode: int, masked: bool, data: bytes) -> None:
        if not masked:
            self.contract_errors.append("a client frame must be masked (RFC 6455 5.3)")
        if opcode == 9:  # ping → pong with the same data
            self._send(10, data)
        elif opcode == 1:
            try:
                message = json.loads(data)
            except ValueError:
                self.contract_errors.append(f"not JSON: {data[:100]!r}")
                return
            if not isinstance(message, dict) or message.get("envelope_id") not in self._sent:
                self.contract_errors.append(f"an acknowledgement names an envelope we never sent: {message!r}")
            elif not isinstance(message.get("payload", {}), dict):
                self.contract_errors.append(f"an acknowledgement's payload is an object: {message!r}")
            with self._lock:
                self.acks.append({**message, "_at": time.monotonic()})
                self._lock.notify_all()

    def _send_text(self, text: str) -> None:
        self._send(1, text.encode())

    def _send(self, opcode: int, data: bytes) -> None:
        size = len(data)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self._lock:
            conn = self._conn
        if conn is not None:
            conn.sendall(header + data)


def _parse(buffer: bytes):
    if len(buffer) < 2:
        return None, buffer
    opcode, length, pos = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
    masked = bool(buffer[1] & 0x80)
    if length == 126:
        if len(buffer) < 4:
            return None, buffer
        length, pos = struct.unpack("!H", buffer[2:4])[0], 4
    elif length == 127:
        if len(buffer) < 10:
            return None, buffer
        length, pos = struct.unpack("!Q", buffer[2:10])[0], 10
    mask = b""
    if masked:
        if len(buffer) < pos + 4:
            return None, buffer
        mask, pos = buffer[pos:pos + 4], pos + 4
    if len(buffer) < pos + length:
        return None, buffer
    data = buffer[pos:pos + length]
    if masked:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return (opcode, masked, data), buffer[pos + length:]
