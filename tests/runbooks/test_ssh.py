"""Commands over real SSH (Debian's sshd on 127.0.0.1): pinning, output, exit codes, timeouts that
kill the remote command, and label values that try to inject shell commands."""

import os
import subprocess
import time

import pytest

from apps.runbooks.executors.ssh import Endpoint, HostKeyRefused, SshError, SshSession, parse_host_key
from apps.runbooks.models import SshTarget
from apps.runbooks.services import execution_request_manual
from tests.alerts.factories import AlertFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def endpoint(server, **overrides) -> Endpoint:
    values = {
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "private_key": server.client_key,
        "host_key": server.host_public_key,
    }
    return Endpoint(**{**values, **overrides})


def other_host_key(tmp_path) -> str:
    path = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


def test_runs_a_command_and_captures_both_streams(sshd_server):
    with SshSession(endpoint(sshd_server)) as session:
        result = session.run("echo out; echo err >&2; exit 3", timeout=10)
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.timed_out and not result.truncated


def test_known_hosts_line_is_accepted_as_the_pin(sshd_server):
    assert parse_host_key(sshd_server.known_hosts_line) == sshd_server.host_public_key
    with pytest.raises(ValueError):
        parse_host_key("ssh-ed25519 not-base64!")


def test_unknown_host_key_is_refused_by_default(sshd_server):
    with pytest.raises(HostKeyRefused, match="unknown host key"):
        SshSession(endpoint(sshd_server, host_key="")).connect()


def test_changed_host_key_is_refused_even_when_new_keys_are_accepted(sshd_server, tmp_path):
    wrong = endpoint(sshd_server, host_key=other_host_key(tmp_path), accept_new_host_key=True)
    with pytest.raises(HostKeyRefused, match="changed"):
        SshSession(wrong).connect()


def test_accept_new_learns_the_key_on_first_connect(sshd_server):
    session = SshSession(endpoint(sshd_server, host_key="", accept_new_host_key=True))
    session.connect()
    session.close()
    assert session.learned_host_key == sshd_server.host_public_key


def test_wrong_client_key_fails_authentication(sshd_server, tmp_path):
    path = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    with pytest.raises(SshError, match="authentication"):
        SshSession(endpoint(sshd_server, private_key=path.read_text())).connect()


def test_timeout_kills_the_remote_command(sshd_server, tmp_path):
    pid_file, marker = tmp_path / "pid", tmp_path / "finished"
    with SshSession(endpoint(sshd_server)) as session:
        started = time.monotonic()
        result = session.run(f"echo $$ > {pid_file}; sleep 30; touch {marker}", timeout=1.5)
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - started < 10
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"remote shell {pid} still alive after the timeout")
    time.sleep(0.5)
    assert not marker.exists()


def test_output_is_bounded_keeping_head_and_tail(sshd_server):
    with SshSession(endpoint(sshd_server), output_limit=1000) as session:
        result = session.run("echo FIRST; head -c 200000 /dev/zero | tr '\\0' x; echo; echo LAST", timeout=20)
    assert result.exit_code == 0 and result.truncated
    assert result.stdout.startswith("FIRST\n") and result.stdout.endswith("LAST\n")
    assert "bytes omitted" in result.stdout and len(result.stdout) < 1200


def test_label_values_cannot_inject_commands(org_a, users_a, ssh_target, import_yaml, on_commit, tmp_path):
    marker = tmp_path / "precious"
    marker.write_text("still here")
    runbook = import_yaml("""
name: Echo service
execution: {mode: manual}
steps:
  - name: echo
    command: echo restarting {{service}} {{labels.instance}}
  - name: again
    command: printf '%s\\n' {{service}}
""")
    hostile = [
        f"x; rm -rf {marker}",
        f"$(rm -rf {marker})",
        f"`rm -rf {marker}`",
        f"x' ; rm -rf {marker}; '",
        f"x\nrm -rf {marker}",
    ]
    for value in hostile:
        alert = AlertFactory(
            organization=org_a,
            labels={"service": value, "instance": f"{ssh_target.host}:9100 && rm -rf {marker}"},
        )
        execution = on_commit(
            execution_request_manual,
            runbook=runbook,
            user=users_a["operator"],
            alert=alert,
            target=ssh_target,
            reason="injection test",
        )
        execution.refresh_from_db()
        assert execution.status == "succeeded", execution.status_reason
        echo, again = execution.steps.order_by("position")
        assert echo.stdout == f"restarting {value} {ssh_target.host}:9100 && rm -rf {marker}\n"
        assert again.stdout == f"{value}\n"
        assert marker.read_text() == "still here"


def test_accept_new_target_pins_the_key_on_first_run(org_a, users_a, sshd_server, import_yaml, on_commit):
    target = SshTarget.objects.create(
        organization=org_a,
        name="tofu",
        host=sshd_server.host,
        port=sshd_server.port,
        username=sshd_server.username,
        private_key=sshd_server.client_key,
        host_key_policy="accept_new",
    )
    runbook = import_yaml("name: Uptime\nsteps:\n  - {name: up, command: uptime}\n")
    execution = on_commit(execution_request_manual, runbook=runbook, user=users_a["operator"], target=target)
    execution.refresh_from_db()
    assert execution.status == "succeeded"
    target.refresh_from_db()
    assert target.host_key == sshd_server.host_public_key
    assert execution.events.filter(kind="host_key_pinned").exists()


def test_strict_target_without_pin_fails_the_step_with_a_clear_reason(
    org_a, users_a, sshd_server, import_yaml, on_commit
):
    target = SshTarget.objects.create(
        organization=org_a,
        name="strict",
        host=sshd_server.host,
        port=sshd_server.port,
        username=sshd_server.username,
        private_key=sshd_server.client_key,
    )
    runbook = import_yaml("name: Uptime\nsteps:\n  - {name: up, command: uptime}\n")
    execution = on_commit(execution_request_manual, runbook=runbook, user=users_a["operator"], target=target)
    execution.refresh_from_db()
    assert execution.status == "failed"
    [step] = execution.steps.all()
    assert step.status == "failed" and "unknown host key" in step.error
    target.refresh_from_db()
    assert target.host_key == ""
