"""Run the action server and the Rasa server together in the foreground.

One Ctrl-C (or SIGTERM) stops both; if either dies, the other is stopped and
the exit status is non-zero. Each child runs in its own process group so that
anything it spawns is stopped with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

STOP_GRACE_SECONDS = 15.0


@dataclass
class Child:
    name: str
    command: Sequence[str]
    process: subprocess.Popen | None = None
    env: Mapping[str, str] | None = None  # added to the shared environment (one Rasa server's own port)


def _stop(children: Sequence[Child]) -> None:
    """SIGTERM every live child's group, then SIGKILL what is left after the grace period."""
    live = [c for c in children if c.process and c.process.poll() is None]
    for child in live:
        try:
            os.killpg(child.process.pid, signal.SIGTERM)  # type: ignore[union-attr]
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in live:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            child.process.wait(timeout=remaining)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        if child.process is None:
            continue
        try:  # the group may hold grandchildren even when the leader has exited
            os.killpg(child.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        child.process.wait()


def run_together(children: Sequence[Child], env: Mapping[str, str], cwd: str) -> int:
    """Start all children; return 0 after a requested stop, 1 if one died on its own."""
    stop_requested = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        for child in children:
            child.process = subprocess.Popen(list(child.command), env={**env, **(child.env or {})}, cwd=cwd, start_new_session=True)
        while not stop_requested:
            dead = [c for c in children if c.process and c.process.poll() is not None]
            if dead:
                for child in dead:
                    print(f"helpline: the {child.name} exited with status {child.process.returncode}; stopping the rest.", flush=True)  # type: ignore[union-attr]
                _stop(children)
                return 1
            time.sleep(0.2)
        print("helpline: stopping...", flush=True)
        _stop(children)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
