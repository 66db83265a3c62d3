"""A real sshd accepts the throwaway client key and is pinned by its host key."""

import subprocess

import pytest

pytestmark = pytest.mark.slow


def test_ssh_runs_a_command_with_pinned_host_key(sshd_server):
    result = subprocess.run(
        sshd_server.ssh_args("echo", "hi"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr + sshd_server.log()
    assert result.stdout == "hi\n"

    assert sshd_server.known_hosts_line == (f"[127.0.0.1]:{sshd_server.port} {sshd_server.host_public_key}")
    assert sshd_server.host_public_key.startswith("ssh-ed25519 ")
    assert sshd_server.client_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")


def test_wrong_host_key_is_rejected(sshd_server, tmp_path):
    other = tmp_path / "other_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    wrong = other.with_suffix(".pub").read_text().split()[:2]
    sshd_server.known_hosts_path.write_text(f"[127.0.0.1]:{sshd_server.port} {' '.join(wrong)}\n")
    result = subprocess.run(
        sshd_server.ssh_args("echo", "hi"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 255 and result.stdout == ""
    assert "HOST IDENTIFICATION HAS CHANGED" in result.stderr or "verification failed" in result.stderr


def test_unknown_client_key_is_rejected(sshd_server, tmp_path):
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    args = sshd_server.ssh_args("echo", "hi")
    args[args.index("-i") + 1] = str(stranger)
    result = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert result.returncode == 255 and "Permission denied" in result.stderr
