"""Run one shell command on a host over SSH (paramiko), with host-key pinning, bounded output and a
timeout that really kills the remote command.

Why the wrapper: closing an SSH channel does not stop a command started without a terminal, so
a timeout would leave it running. sshd starts each non-terminal session as a new session and
process group (setsid), so the wrapper prints its own pid (= the process group id) on stderr
first; on timeout or cancel a second channel sends TERM, then KILL, to that whole group.
"""

from __future__ import annotations

import base64
import io
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

import paramiko

PID_MARK = "__AIOPS_PGID__"
KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


class SshError(Exception):
    """Connecting or authenticating failed; the message is safe to show (no secrets)."""


class HostKeyRefused(SshError):
    """The server's host key is unknown (strict policy) or differs from the pinned one."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    username: str
    private_key: str = ""
    passphrase: str = ""
    password: str = ""
    host_key: str = ""  # "ssh-ed25519 AAAA..."; empty = unknown
    accept_new_host_key: bool = False


@dataclass
class CommandResult:
    exit_code: int | None
    stdout: str
    stderr: str
    truncated: bool
    timed_out: bool = False
    cancelled: bool = False
    duration_ms: int = 0


def parse_host_key(text: str) -> str:
    """Normalise a pinned host key ("type base64", optionally a whole known_hosts line); raise ValueError."""
    parts = (text or "").strip().split()
    for i in range(len(parts) - 1):
        if parts[i].startswith(("ssh-", "ecdsa-", "sk-")):
            key_type, blob = parts[i], parts[i + 1]
            try:
                paramiko.PKey.from_type_string(key_type, base64.b64decode(blob, validate=True))
            except Exception as exc:
                raise ValueError(f"not a valid {key_type} public key ({exc})") from exc
            return f"{key_type} {blob}"
    raise ValueError('expected a public host key such as "ssh-ed25519 AAAA..."')


def load_private_key(text: str, passphrase: str = "") -> paramiko.PKey:
    """Read an OpenSSH/PEM private key of any supported type; raise ValueError with the reason."""
    last = None
    for cls in KEY_CLASSES:
        try:
            return cls.from_private_key(io.StringIO(text.strip() + "\n"), password=passphrase or None)
        except paramiko.PasswordRequiredException as exc:
            raise ValueError("the private key is encrypted: give its passphrase") from exc
        except (paramiko.SSHException, ValueError, IndexError, TypeError) as exc:
            last = exc
    raise ValueError(f"not a supported private key (ed25519, ecdsa or rsa): {last}")


def fingerprint(key: paramiko.PKey) -> str:
    import hashlib

    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


class _Policy(paramiko.MissingHostKeyPolicy):
    """Unknown keys: refuse (strict) or remember to pin (accept-new). Changed keys never get here."""

    def __init__(self, accept: bool):
        self.accept = accept
        self.learned: str | None = None

    def missing_host_key(self, client, hostname, key):
        if not self.accept:
            raise HostKeyRefused(
                f"unknown host key for {hostname} ({key.get_name()} {fingerprint(key)}): pin it on the SSH "
                "target, or let the target accept new host keys"
            )
        self.learned = f"{key.get_name()} {key.get_base64()}"


class _Bounded:
    """Keeps the first and last `limit/2` bytes of a stream; the middle is counted, not kept."""

    def __init__(self, limit: int):
        self.half = max(limit // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.half:
                cut = len(self.tail) - self.half
                self.dropped += cut
                del self.tail[:cut]

    def text(self) -> str:
        middle = f"\n... [{self.dropped} bytes omitted] ...\n".encode() if self.dropped else b""
        return bytes(self.head + middle + self.tail).decode("utf-8", errors="replace")


class SshSession:
    """One authenticated connection; run several commands on it. Use as a context manager."""

    def __init__(self, endpoint: Endpoint, *, connect_timeout: float = 10.0, output_limit: int = 65536):
        self.endpoint = endpoint
        self.connect_timeout = connect_timeout
        self.output_limit = output_limit
        self.learned_host_key: str | None = None
        self._client: paramiko.SSHClient | None = None

    def __enter__(self) -> SshSession:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        ep = self.endpoint
        client = paramiko.SSHClient()
        known_as = ep.host if ep.port == 22 else f"[{ep.host}]:{ep.port}"
        if ep.host_key:
            key_type, blob = parse_host_key(ep.host_key).split()
            client.get_host_keys().add(
                known_as, key_type, paramiko.PKey.from_type_string(key_type, base64.b64decode(blob))
            )
        policy = _Policy(accept=ep.accept_new_host_key and not ep.host_key)
        client.set_missing_host_key_policy(policy)
        pkey = load_private_key(ep.private_key, ep.passphrase) if ep.private_key else None
        try:
            client.connect(
                ep.host,
                port=ep.port,
                username=ep.username,
                pkey=pkey,
                password=ep.password or None,
                allow_agent=False,
                look_for_keys=False,
                timeout=self.connect_timeout,
                banner_timeout=self.connect_timeout,
                auth_timeout=self.connect_timeout,
            )
        except HostKeyRefused:
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise HostKeyRefused(
                f"the host key of {known_as} changed ({exc.key.get_name()} {fingerprint(exc.key)}); "
                "refusing to "
                "connect. If the change is expected, pin the new key on the SSH target."
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            raise SshError(f"authentication as {ep.username} on {known_as} failed") from None
        except (paramiko.SSHException, OSError) as exc:
            client.close()
            raise SshError(f"cannot connect to {known_as}: {exc}") from None
        self.learned_host_key = policy.learned
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def run(
        self,
        command: str,
        *,
        timeout: float,
        elevate: bool = False,
        on_output: Callable[[str, str], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
        flush_every: float = 1.0,
    ) -> CommandResult:
        """Run `command` with `sh -c` (through `sudo -n` when elevated); never waits past `timeout`."""
        inner = f"sh -c {shlex.quote(command)}"
        if elevate:
            inner = f"sudo -n -- {inner}"
        wrapper = f"printf '{PID_MARK}%s\\n' \"$$\" >&2; exec {inner}"
        started = time.monotonic()
        deadline = started + timeout
        channel = self._client.get_transport().open_session()
        channel.exec_command(wrapper)
        out, err = _Bounded(self.output_limit), _Bounded(self.output_limit)
        pending_err, pgid = b"", None
        timed_out = cancelled = False
        last_tick = started
        while True:
            got = False
            if channel.recv_ready():
                out.feed(channel.recv(65536))
                got = True
            if channel.recv_stderr_ready():
                data = channel.recv_stderr(65536)
                got = True
                if pgid is None:
                    pending_err += data
                    if b"\n" in pending_err:
                        first, rest = pending_err.split(b"\n", 1)
                        pgid = first.decode(errors="replace").removeprefix(PID_MARK).strip()
                        err.feed(rest)
                else:
                    err.feed(data)
            if channel.exit_status_ready() and not channel.recv_ready() and not channel.recv_stderr_ready():
                break
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
            elif now - last_tick >= flush_every:
                last_tick = now
                if on_output:
                    on_output(out.text(), err.text())
                cancelled = bool(should_cancel and should_cancel())
            if timed_out or cancelled:
                self._kill(pgid, elevate)
                break
            if not got:
                time.sleep(0.05)
        exit_code = None
        if not (timed_out or cancelled):
            status = channel.recv_exit_status()
            exit_code = status if status >= 0 else None
        channel.close()
        return CommandResult(
            exit_code=exit_code,
            stdout=out.text(),
            stderr=err.text(),
            truncated=bool(out.dropped or err.dropped),
            timed_out=timed_out,
            cancelled=cancelled,
            duration_ms=round((time.monotonic() - started) * 1000),
        )

    def _kill(self, pgid: str | None, elevate: bool) -> None:
        """TERM, then KILL, the command's whole process group, over a second channel."""
        if not pgid or not pgid.isdigit():
            return
        sudo = "sudo -n -- " if elevate else ""
        script = (
            f"{sudo}kill -TERM -- -{pgid} 2>/dev/null; sleep 1; {sudo}kill -KILL -- -{pgid} 2>/dev/null; true"
        )
        channel = self._client.get_transport().open_session()
        channel.settimeout(15)
        channel.exec_command(script)
        channel.recv_exit_status()
        channel.close()
