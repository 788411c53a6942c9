"""Nothing is left running: the demo stops its embedded server when its terminal closes or it
is killed, and a server left by a demo that could not stop it is found and said.

The demo runs in a real terminal, a tmux session on a private socket; closing the session
sends SIGHUP, as closing a terminal window does.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tests.terminal import new_session, tmux, wait_for

# One at a time (one xdist worker): each starts a demo that seeds its embedded server, and
# several at once on two cores outlast the start-up wait.
pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.xdist_group("demo_server"),
]


def postmasters(data_dir: Path) -> list[psutil.Process]:
    """Server processes whose data directory is `data_dir` or lies under it."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        is_server = bool(cmdline) and cmdline[0].endswith("/postgres")
        if is_server and any(part.startswith(str(data_dir)) for part in cmdline[1:]):
            found.append(process)
    return found


def server_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "postmaster.pid"
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Callable[[str, list[str]], str]]:
    """Start `wflog-tui ARGS` in a tmux session of its own; its pane's text is returned."""
    names: list[str] = []

    def start(name: str, argv: list[str]) -> str:
        command = shlex.join([sys.executable, "-m", "wflog_tui", *argv])
        new_session(name, f"exec {command}", width=200, height=50)
        names.append(name)
        return name

    yield start
    for name in names:
        tmux("kill-session", "-t", name)
    tmux("kill-server")
    # A failed test must not leave its server behind either: a fast shutdown.
    leftovers = postmasters(tmp_path)
    for process in leftovers:
        process.send_signal(signal.SIGINT)
    psutil.wait_procs(leftovers, timeout=30)


def pane(name: str) -> str:
    return tmux("capture-pane", "-p", "-J", "-t", name)


def pane_pid(name: str) -> int:
    return int(tmux("list-panes", "-t", name, "-F", "#{pane_pid}").split()[0])


def demo_argv(data_dir: Path) -> list[str]:
    return ["demo", "--no-ui", "--tick", "5", "--data-dir", str(data_dir)]


def test_closing_the_terminal_stops_the_demo_server(session, tmp_path: Path):
    data_dir = tmp_path / "pgdata"
    name = session("hup", demo_argv(data_dir))
    wait_for(lambda: "try:" in pane(name), "the demo to start")
    pid = server_pid(data_dir)
    assert pid is not None and psutil.pid_exists(pid)
    tmux("kill-session", "-t", name)  # SIGHUP to the demo, as a closed terminal
    wait_for(lambda: not psutil.pid_exists(pid), "the server to stop", timeout=60)
    assert postmasters(data_dir) == []


def test_closing_the_terminal_under_the_tui_stops_the_demo_server(session, tmp_path: Path):
    data_dir = tmp_path / "pgdata"
    name = session("tui", ["demo", "--tick", "5", "--data-dir", str(data_dir)])
    wait_for(lambda: "LIVE" in pane(name), "the TUI to show the live list")
    pid = server_pid(data_dir)
    assert pid is not None and psutil.pid_exists(pid)
    demo = pane_pid(name)
    tmux("kill-session", "-t", name)
    wait_for(lambda: not psutil.pid_exists(pid), "the server to stop", timeout=60)
    assert postmasters(data_dir) == []
    # The demo itself ends too, even when its TUI cannot unwind on a terminal gone.
    wait_for(lambda: _dead(demo), "the demo to end", timeout=60)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_terminated_or_interrupted_demo_stops_its_server(session, tmp_path: Path, signum):
    data_dir = tmp_path / "pgdata"
    name = session(f"sig{int(signum)}", demo_argv(data_dir))
    wait_for(lambda: "try:" in pane(name), "the demo to start")
    pid = server_pid(data_dir)
    assert pid is not None
    os.kill(pane_pid(name), signum)
    wait_for(lambda: not psutil.pid_exists(pid), "the server to stop", timeout=60)
    assert postmasters(data_dir) == []
    assert "Traceback" not in pane(name)


def _dead(pid: int) -> bool:
    """Gone, or a zombie its parent (tmux) has not reaped yet: it runs nothing either way."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_server_left_by_a_killed_demo_is_reused_said_and_then_stopped(session, tmp_path: Path):
    data_dir = tmp_path / "pgdata"
    first = session("first", demo_argv(data_dir))
    wait_for(lambda: "try:" in pane(first), "the first demo to start")
    pid = server_pid(data_dir)
    assert pid is not None
    demo = pane_pid(first)
    os.kill(demo, signal.SIGKILL)  # no cleanup at all: the server stays
    wait_for(lambda: _dead(demo), "the first demo to die")
    assert psutil.pid_exists(pid)

    second = session("second", demo_argv(data_dir))
    wait_for(lambda: "try:" in pane(second), "the second demo to start")
    text = " ".join(pane(second).split())
    assert f"reusing the embedded PostgreSQL (pid {pid}) left running by an earlier demo" in text
    assert server_pid(data_dir) == pid
    tmux("kill-session", "-t", second)
    wait_for(lambda: not psutil.pid_exists(pid), "the reused server to stop", timeout=60)
    assert postmasters(data_dir) == []
