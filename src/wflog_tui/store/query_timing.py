"""How long the database took: the time of asyncpg's calls, less the event loop's stalls.

Adaptive refresh must slow down for a slow database, not for a busy UI. Timing a refresh
from the UI counts everything that ran on the event loop meanwhile: Textual mounting and
painting at start-up, a worker decoding a big run, a machine short of CPU. A reply that
arrived while the loop was busy waited unread in the socket, and that wait is the UI's,
not the server's.

So each asyncpg call is timed on its own (the pool's wait and the decoding of rows into
model objects are outside it), and a meter notes when the loop was stalled while any
call was in flight: a timer due every `TICK_S` that fires late shows the loop was busy
from when it was due until it ran. A reply that came during a stall is read as soon as
the stall ends, so only the stalls that end as the call ends can have held one: the
call's database time is its wall time less those. Earlier stalls were outlived by the
call, so the server was still working through them, and they count.

When the reply came during those stalls, the moment it came cannot be known: the
figure is then a lower bound of the server's time (exact when the loop was free). A
stall is seen from the first tick it delays, so up to `TICK_S` of it may still count;
and a stall that held the reply to a statement's preparation (its first use on a
connection) while the execution took longer than `FINAL_GAP_S` counts whole, erring
towards "slow".
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

import asyncpg

TICK_S: Final = 0.005
# A timer a little late is the loop's normal jitter, not a stall.
STALL_THRESHOLD_S: Final = 0.002
# A reply read when a stall ends completes its call soon after: within a loop iteration,
# or one more round trip where asyncpg prepares a statement before it executes it.
FINAL_GAP_S: Final = 0.02
_STALLS_KEPT: Final = 512


class LoopStallMeter:
    """Notes the spans during which one event loop could not run callbacks.

    It only ticks while a call is in flight (`begin`/`end`), so an idle tool costs nothing.
    """

    def __init__(self) -> None:
        self._in_flight = 0
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self._stalls: deque[tuple[float, float]] = deque(maxlen=_STALLS_KEPT)

    def begin(self) -> None:
        """A call starts: keep ticking until every call in flight has ended."""
        self._in_flight += 1
        if self._handle is None:
            self._tick_later(time.perf_counter())

    def end(self) -> None:
        """A call ended."""
        self._in_flight = max(0, self._in_flight - 1)
        if self._in_flight == 0 and self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def waited_s(self, start: float, end: float) -> float:
        """Seconds at the end of [start, end] (`time.perf_counter` values) that a reply may
        have spent unread: the stalls that end as the call ends, one after the other.

        A stall the call outlived by more than `FINAL_GAP_S` hid no reply (one that had
        come would have been read when the stall ended), so the server was still at work
        through it, and it stays database time.
        """
        spans = list(self._stalls)
        if self._handle is not None and end - self._due > STALL_THRESHOLD_S:
            # The tick is overdue and has not run yet: the loop is only now free again.
            spans.append((self._due, end))
        waited, edge = 0.0, end
        # A long stall may be followed by short ones (the machine's jitter) before the
        # reply is read: the run of stalls with no real gap between them held it.
        for first, last in reversed(spans):
            if edge - last > FINAL_GAP_S or last <= start:
                break
            waited += max(0.0, min(end, last) - max(start, first))
            edge = first
        return waited

    def _tick_later(self, now: float) -> None:
        self._due = now + TICK_S
        self._handle = asyncio.get_running_loop().call_later(TICK_S, self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if now - self._due > STALL_THRESHOLD_S:
            self._stalls.append((self._due, now))
        self._handle = None
        if self._in_flight:
            self._tick_later(now)


@dataclass
class DbTime:
    """The database time of the calls made within one `measure()` block, in seconds."""

    seconds: float = 0.0
    calls: int = 0


_measuring: ContextVar[tuple[DbTime, ...]] = ContextVar("wflog_db_time", default=())


@contextlib.contextmanager
def measure() -> Iterator[DbTime]:
    """Add up the database time of every store call made in this block (and the tasks
    it starts), failed calls included: a refresh cycle's cost, for `RefreshPacer.record`.

    Calls made at the same time by other tasks (another view's refresh) are not counted.
    """
    total = DbTime()
    token = _measuring.set((*_measuring.get(), total))
    try:
        yield total
    finally:
        _measuring.reset(token)


class TimedConnection:
    """An asyncpg connection whose query calls add their database time to `seconds`.

    Everything else (`transaction`, `is_closed`, ...) is the connection's own.
    """

    _TIMED: Final = frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany"})

    def __init__(self, conn: asyncpg.Connection, meter: LoopStallMeter) -> None:
        self._conn = conn
        self._meter = meter
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._conn, name)
        if name not in self._TIMED:
            return value
        return self._timed(value)

    def _timed(self, call: Callable[..., Any]) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            self._meter.begin()
            start = time.perf_counter()
            try:
                return await call(*args, **kwargs)
            finally:
                end = time.perf_counter()
                spent = max(0.0, end - start - self._meter.waited_s(start, end))
                self._meter.end()
                self.seconds += spent
                for total in _measuring.get():
                    total.seconds += spent
                    total.calls += 1

        return timed
