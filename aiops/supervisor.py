"""A small process supervisor for `make run`: start the children, restart the ones that die.

A child that exits is reported on the console with its exit code or signal and how long it ran,
and started again after a backoff (1 s, doubling to 30 s; back to 1 s once it has run for a
minute), so a crash costs seconds and is seen. Ctrl-C or SIGTERM stops every child, politely
first. An on-call tool that stops silently is worse than one that never started.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

BACKOFF_START, BACKOFF_MAX, STABLE_AFTER = 1.0, 30.0, 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict | None = None
    proc: subprocess.Popen | None = None
    started: float = 0.0
    restarts: int = 0
    backoff: float = BACKOFF_START
    due: float = 0.0  # when a dead child is started again
    history: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, env=self.env, preexec_fn=_detach)
        self.started = time.monotonic()


def _detach() -> None:
    """In the child: its own session, so the terminal's Ctrl-C reaches only the supervisor (which
    then stops the children in order), and on Linux a SIGTERM if the supervisor itself dies."""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Supervisor:
    def __init__(self, children: list[Child], *, out=None):
        self.children = children
        self.out = out or sys.stdout
        self.stopping = False

    def say(self, line: str) -> None:
        self.out.write(f"[supervisor] {line}\n")
        self.out.flush()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for child in self.children:
            child.start()
        while not self.stopping:
            self.tick()
            time.sleep(0.2)
        self.shutdown()
        return 0

    def tick(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.proc is None:
                if now >= child.due and not self.stopping:
                    child.start()
                    self.say(f"{child.name} started again (pid {child.proc.pid}, restart {child.restarts})")
                continue
            code = child.proc.poll()
            if code is None:
                if now - child.started > STABLE_AFTER:
                    child.backoff = BACKOFF_START
                continue
            ran, pid = now - child.started, child.proc.pid
            child.restarts += 1
            child.history.append(describe_exit(code))
            delay = child.backoff
            child.backoff = min(BACKOFF_MAX, child.backoff * 2)
            child.proc, child.due = None, now + delay
            self.say(f"!!! {child.name} (pid {pid}) {child.history[-1]} after {ran:.0f} s; "
                     f"restarting in {delay:.0f} s")

    def _stop(self, *_):
        self.stopping = True

    def shutdown(self, grace: float = 10.0) -> None:
        self.say("stopping")
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def child_env(**extra) -> dict:
    return {**os.environ, **extra}
