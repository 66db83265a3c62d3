"""A real OpenSSH server on loopback for runbook commands run over SSH.

Runbook steps execute commands on hosts over SSH with host-key pinning. A fake transport would
not catch a wrong key format, a missing known_hosts entry or an unquoted argument, so the
tests run Debian's ``/usr/sbin/sshd`` in the foreground on a free 127.0.0.1 port, with a
throwaway host key, a throwaway client key as the only authorised key, and everything else
(config, pid file, authorized_keys) in a temp dir. It logs in as the current user (root may
log in with a key: ``PermitRootLogin prohibit-password``). Tests skip only when sshd or
ssh-keygen is absent (install with ``.ci/system-packages.sh``).

Usage::

    def test_runbook_step(sshd_server):
        target = Host(address=sshd_server.host, port=sshd_server.port,
                      username=sshd_server.username, private_key=sshd_server.client_key,
                      host_key=sshd_server.host_public_key)
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.net import LOOPBACK, free_port

__all__ = ["SSHD_BIN", "SSHServer", "start_sshd", "sshd_server"]

SSHD_BIN = "/usr/sbin/sshd"
SSH_KEYGEN_BIN = "/usr/bin/ssh-keygen"


@dataclass
class SSHServer:
    host: str
    port: int
    username: str
    client_key: str  # private key text, OpenSSH format
    client_key_path: Path  # the same key on disk (mode 0600) for the ssh CLI
    client_public_key: str
    host_public_key: str  # "ssh-ed25519 AAAA..." for host-key pinning
    known_hosts_line: str  # "[127.0.0.1]:<port> ssh-ed25519 AAAA..."
    known_hosts_path: Path  # a known_hosts file holding only that line
    log_path: Path
    process: subprocess.Popen

    def ssh_args(self, *command: str) -> list[str]:
        """argv for the OpenSSH client, pinned to this server's host key."""
        return [
            "ssh",
            "-i",
            str(self.client_key_path),
            "-p",
            str(self.port),
            "-o",
            f"UserKnownHostsFile={self.known_hosts_path}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ConnectTimeout=5",
            f"{self.username}@{self.host}",
            *command,
        ]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        [SSH_KEYGEN_BIN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def _wait_for_banner(port: int, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1) as sock:
                if sock.recv(64).startswith(b"SSH-2.0-"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"sshd not answering after {timeout}s:\n{log_path.read_text()}")


def start_sshd(workdir: Path, *, timeout: float = 10.0) -> SSHServer:
    """Start sshd in the foreground with keys and config under workdir."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    host_key, client_key = workdir / "ssh_host_ed25519_key", workdir / "client_ed25519"
    _keygen(host_key, "aiops-test-host")
    _keygen(client_key, "aiops-test-client")
    authorized_keys = workdir / "authorized_keys"
    shutil.copyfile(client_key.with_suffix(".pub"), authorized_keys)
    authorized_keys.chmod(0o600)

    # sshd refuses to start without its privilege separation directory.
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)

    port, username = free_port(), getpass.getuser()
    config = workdir / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                f"ListenAddress {LOOPBACK}",
                f"HostKey {host_key}",
                f"PidFile {workdir / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized_keys}",
                f"AllowUsers {username}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "UsePAM no",
                "StrictModes no",
                "PrintMotd no",
                "LogLevel VERBOSE",
                "Subsystem sftp internal-sftp",
                "",
            ]
        )
    )
    log_path = workdir / "sshd.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [SSHD_BIN, "-D", "-e", "-f", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_for_banner(port, process, log_path, timeout)
    except Exception:
        if process.poll() is None:
            process.kill()
            process.wait()
        raise

    host_public_key = " ".join(host_key.with_suffix(".pub").read_text().split()[:2])
    known_hosts_line = f"[{LOOPBACK}]:{port} {host_public_key}"
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text(known_hosts_line + "\n")
    return SSHServer(
        host=LOOPBACK,
        port=port,
        username=username,
        client_key=client_key.read_text(),
        client_key_path=client_key,
        client_public_key=client_key.with_suffix(".pub").read_text().strip(),
        host_public_key=host_public_key,
        known_hosts_line=known_hosts_line,
        known_hosts_path=known_hosts,
        log_path=log_path,
        process=process,
    )


@pytest.fixture
def sshd_server(tmp_path: Path) -> Iterator[SSHServer]:
    """A running sshd accepting ``client_key`` for the current user; stopped at teardown."""
    for binary in (SSHD_BIN, SSH_KEYGEN_BIN):
        if shutil.which(binary) is None:
            pytest.skip(f"{binary} missing: run .ci/system-packages.sh (openssh-server)")
    server = start_sshd(tmp_path / "sshd")
    yield server
    server.stop()
