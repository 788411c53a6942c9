"""What `wflog-tui demo` calls: prepare the table, then keep live runs coming.

From an asyncio caller (the TUI's own event loop, or `--no-ui` waiting for Ctrl-C)::

    server = EmbeddedPostgres(default_data_dir())    # only when no DSN was given
    dsn = server.start()
    stop = asyncio.Event()
    try:
        prepared = await prepare_demo(dsn, shape)     # create the table, seed it if empty
        task = asyncio.create_task(run_simulator(dsn, shape, stop, tick=0.7))
        ...                                           # run the TUI, or wait for Ctrl-C
    finally:
        stop.set()                                    # or task.cancel(): both stop cleanly
        await task
        server.stop()

Stopping marks the simulator's runs in flight CANCELED, so none stays RUNNING forever.
A caller whose main thread is busy with something synchronous can use `DemoSession`
instead, which runs the same simulator in a thread with its own event loop::

    asyncio.run(prepare_demo(dsn))
    with DemoSession(dsn, tick=0.7):
        app.run()
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

import asyncpg

from wflog_tui.demo.seed import DEFAULT_RUNS, seed_history
from wflog_tui.demo.simulator import DEFAULT_SHAPE, DEFAULT_TICK, Simulator
from wflog_tui.demo.stale_runs import end_stale_runs
from wflog_tui.demo.table_ddl import TableShape, create_table_sql


@dataclass(frozen=True, slots=True)
class PreparedDemo:
    """What `prepare_demo` found and did: runs seeded, runs already there, stale runs ended."""

    seeded: int
    kept: int
    ended: int

    def describe(self) -> str:
        """`1,200 runs seeded`, or `history kept: 1,340 runs; 3 runs left in flight ended`."""
        if not self.kept:
            return f"{self.seeded:,} runs seeded"
        text = f"history kept: {self.kept:,} run{'s' if self.kept != 1 else ''}"
        if self.ended:
            text += f"; {self.ended:,} run{'s' if self.ended != 1 else ''} left in flight ended"
        return text


async def prepare_demo(
    dsn: str,
    shape: TableShape = DEFAULT_SHAPE,
    *,
    now: datetime | None = None,
    reset: bool = False,
    runs: int = DEFAULT_RUNS,
) -> PreparedDemo:
    """Create the table if it is missing and seed it if it is empty.

    With `reset`, the table's rows are deleted first, so the history is recent again.
    A table that already had rows is kept, and the runs a stopped demo left RUNNING are
    ended as the platform would have ended them (see `stale_runs`).
    """
    now = now or datetime.now(UTC)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(create_table_sql(shape))
        if reset:
            await conn.execute(f"TRUNCATE {shape.qualified}")
        kept = int(await conn.fetchval(f"SELECT count(*) FROM {shape.qualified}"))
        ended = await end_stale_runs(conn, shape, now) if kept else 0
        seeded = await seed_history(conn, shape, now=now, runs=runs)
        return PreparedDemo(seeded=seeded, kept=kept, ended=ended)
    finally:
        await conn.close()


async def run_simulator(
    dsn: str,
    shape: TableShape = DEFAULT_SHAPE,
    stop: asyncio.Event | None = None,
    tick: float = DEFAULT_TICK,
    *,
    rng_seed: int | None = None,
) -> None:
    """Simulate live runs until `stop` is set or the task is cancelled."""
    await Simulator(dsn, shape, tick=tick, rng_seed=rng_seed).run(stop)


class DemoSession:
    """The simulator in a background thread, for a caller whose main thread runs the TUI.

    `start()` returns once the thread's event loop is up; `stop()` ends the simulator and
    waits for the thread. It is also a context manager that does both.
    """

    def __init__(
        self,
        dsn: str,
        shape: TableShape = DEFAULT_SHAPE,
        *,
        tick: float = DEFAULT_TICK,
        rng_seed: int | None = None,
    ) -> None:
        self.simulator = Simulator(dsn, shape, tick=tick, rng_seed=rng_seed)
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        """Start the simulator's thread."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._main, name="wflog-demo-simulator", daemon=True)
        self._thread.start()
        self._ready.wait()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the simulator and wait up to `timeout` seconds for its thread to end."""
        if self._thread is None:
            return
        if self._loop is not None and self._stop is not None:
            # The loop may already have closed if the simulator died; nothing to signal then.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        """True while the simulator's thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> DemoSession:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:  # kept for the caller: a thread has nowhere to raise to
            self.error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self.simulator.run(self._stop)
