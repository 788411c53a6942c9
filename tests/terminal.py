"""A real terminal for the tests that need one: a tmux server on a socket of this test process.

The demo and the crash tests run the app in a tmux pane, so it meets a terminal (and its
closing) as a user's would, and they read back what the pane shows.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable

# Private to this process, so parallel workers and a user's own tmux never meet.
SOCKET = f"wflog-test-{uuid.uuid4().hex[:8]}"


def tmux(*args: str) -> str:
    """Run a tmux command on the private server; what it printed."""
    return _run(*args).stdout


def new_session(name: str, command: str, *, width: int, height: int) -> None:
    """Run `command` in a new detached session `name`, its pane kept after the command ends.

    The server a previous test killed may still be shutting down when this one starts, and
    take the new session with it ("server exited unexpectedly"): start it again until the
    session is there.
    """

    def started() -> bool:
        size = ["-x", str(width), "-y", str(height)]
        if _run("has-session", "-t", name).returncode != 0:
            _run("new-session", "-d", "-s", name, *size, command)
        return _run("has-session", "-t", name).returncode == 0

    wait_for(started, f"the tmux session {name}", timeout=30)
    tmux("set-option", "-t", name, "remain-on-exit", "on")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, timeout=30, check=False
    )


def wait_for(condition: Callable[[], object], what: str, timeout: float = 120) -> None:
    """Return once `condition()` holds; fail saying `what` did not happen within `timeout` s.

    Blocking, for the tests that watch processes and panes from a thread or outside a loop
    (asynchronous tests use `tests.waiting.eventually`).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
