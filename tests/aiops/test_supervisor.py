"""`make run`'s supervisor with real processes: a killed child is reported and restarted; SIGTERM
(or Ctrl-C) stops every child; a child outlives nothing when the supervisor itself is killed."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = textwrap.dedent("""
    import sys
    from aiops.supervisor import Child, Supervisor
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    Supervisor([Child("worker", sleeper), Child("web", sleeper)]).run()
""")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def _wait(check, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _start(tmp_path):
    log = open(tmp_path / "supervisor.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    children = _wait(lambda: (c := _children(proc.pid)) and len(c) == 2 and c)
    assert children, (tmp_path / "supervisor.log").read_text()
    return proc, children


def test_a_killed_child_is_reported_and_restarted_and_sigterm_stops_everyone(tmp_path):
    proc, children = _start(tmp_path)
    try:
        os.kill(children[0], signal.SIGKILL)
        restarted = _wait(lambda: (c := _children(proc.pid)) and len(c) == 2 and children[0] not in c and c)
        output = (tmp_path / "supervisor.log").read_text()
        assert restarted, output
        assert "was killed by SIGKILL" in output and "restarting in 1 s" in output
        assert _wait(lambda: "started again" in (tmp_path / "supervisor.log").read_text())

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert not [pid for pid in restarted if _alive(pid)]
        assert "[supervisor] stopping" in (tmp_path / "supervisor.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_children_do_not_outlive_a_killed_supervisor(tmp_path):
    proc, children = _start(tmp_path)
    proc.kill()
    proc.wait(timeout=10)
    assert _wait(lambda: not [pid for pid in children if _alive(pid)]), "children survived their supervisor"
