"""Live runs written the way the platform writes them, one step at a time.

Every tick, each run in flight moves on: the step it is running ends (its entry, appended
as RUNNING, is replaced by its COMPLETED, FAILED, TIMED_OUT or CANCELED version) and the
next step starts; a loop's quick iterations move several at a time, and a step that
times out stays RUNNING for the platform's whole step timeout. A run's row is
inserted as RUNNING with its trigger entry and gets its status, `ended_at`,
`duration_ms`, `output_payload` and `error` when its last step ends. Every 7th run (and
the first, if asked) is a CSV import of 30 to 200 rows that fails part-way through;
every 5th (the 3rd, the 8th, ...) is a run of the refund incident's new version
(`refund_incident`), which fails when the refund is in yen, and wins where both fall.

Each tick's writes are single autocommit statements on one connection: no transaction
stays open across ticks. Stopping (the event, `stop()`, or cancelling the task) marks the
runs still in flight CANCELED, so a stopped demo leaves no run RUNNING forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import asyncpg

from wflog_tui.demo.ids import cuid, ulid
from wflog_tui.demo.refund_incident import incident_run
from wflog_tui.demo.row_writer import RowWriter
from wflog_tui.demo.table_ddl import TableShape
from wflog_tui.demo.workflows import (
    CATALOG,
    ORGS,
    UNRESOLVED_SILENT,
    RunScript,
    Scenario,
    build_run,
    iso,
)
from wflog_tui.model import status as st
from wflog_tui.model.entries import LOOP_OPERATION

DEFAULT_TICK: Final = 0.7
# The table as Prisma creates it, where the demo writes unless told otherwise.
DEFAULT_SHAPE: Final = TableShape()
FAILING_LOOP_EVERY: Final = 7
INCIDENT_EVERY: Final = 5
_RETRY_PAUSE: Final = 2.0
_log = logging.getLogger(__name__)
_CONNECTION_ERRORS: Final = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
_WEIGHTS: Final = {
    "new_post_to_slack": 20,
    "enrich_leads_with_clearbit": 16,
    "webhook_to_notion": 12,
    "github_issue_triage": 10,
    "stripe_refund_handler": 8,
    "zendesk_ticket_summary": 8,
    "sync_hubspot_contacts": 8,
    "user_onboarding_emails": 6,
    "csv_import": 5,
    "daily_digest_email": 4,
    "nightly_invoice_batch": 3,
}
_OUTCOMES: Final = ((st.COMPLETED, 78), (st.FAILED, 16), (st.TIMED_OUT, 3), (st.CANCELED, 3))
# Live runs stay small enough to finish within a minute or two at the default tick.
_LIVE_LOOP: Final = (3, 40)


@dataclass
class _Live:
    """A run in flight: its script, what its row holds now, and where it has got to."""

    script: RunScript
    row_id: str
    started_at: datetime
    log: list[dict[str, Any]]
    cursor: datetime
    next: int = 1
    running: bool = False
    changed: bool = False


def _running(planned: dict[str, Any], started: str) -> dict[str, Any]:
    entry = {k: v for k, v in planned.items() if k not in ("output", "error", "endedAt")}
    entry.pop("durationMs", None)
    entry["status"] = st.RUNNING
    entry["startedAt"] = started
    return entry


def _ended(planned: dict[str, Any], started: datetime, ended: datetime) -> dict[str, Any]:
    entry = dict(planned)
    entry["startedAt"] = iso(started)
    if "endedAt" in planned:
        entry["endedAt"] = iso(ended)
        entry["durationMs"] = max(1, round((ended - started).total_seconds() * 1000))
    return entry


class Simulator:
    """Keeps starting runs and advancing them step by step until stopped.

    `tick` is the time between two advances; `concurrency` caps the runs in flight (a few
    more start whenever fewer are running); `burst` is how many loop iterations may end in
    one tick. With `failing_loop_first` the first run started is the failing CSV import.
    """

    def __init__(
        self,
        dsn: str,
        shape: TableShape = DEFAULT_SHAPE,
        *,
        tick: float = DEFAULT_TICK,
        rng_seed: int | None = None,
        concurrency: int = 5,
        burst: int = 8,
        failing_loop_first: bool = False,
    ) -> None:
        self.dsn = dsn
        self.shape = shape
        self.tick = tick
        self.concurrency = max(1, concurrency)
        self.burst = max(1, burst)
        self.runs_started = 0
        self.runs_finished = 0
        self.last_error: BaseException | None = None
        self._rng = random.Random(rng_seed)
        self._failing_loop_first = failing_loop_first
        self._writer = RowWriter(shape)
        self._live: list[_Live] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def start(self) -> asyncio.Task[None]:
        """Run the simulator in a background task of the running event loop."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(self._stop), name="wflog-demo-simulator")
        return self._task

    async def stop(self) -> None:
        """Stop the task started by `start()` and wait until its in-flight runs are closed."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Advance runs every tick until `stop` is set or the task is cancelled.

        Database errors do not end the loop: the runs in flight are dropped, the error is
        kept in `last_error` until a tick succeeds, and the simulator reconnects after a
        pause.
        """
        stop = stop or asyncio.Event()
        conn: asyncpg.Connection | None = None
        try:
            while not stop.is_set():
                try:
                    if conn is None or conn.is_closed():
                        conn = await asyncpg.connect(
                            self.dsn,
                            server_settings={"application_name": "wflog-tui demo simulator"},
                        )
                    await self.advance(conn)
                    self.last_error = None
                except _CONNECTION_ERRORS as exc:
                    # Debug only: a warning would be printed over the TUI by logging's fallback.
                    self.last_error = exc
                    _log.debug("demo simulator: %s", exc)
                    self._live.clear()
                    if conn is not None:
                        conn.terminate()
                        conn = None
                pause = self.tick if self.last_error is None else max(self.tick, _RETRY_PAUSE)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
        finally:
            if conn is not None:
                await self._close(conn)

    async def advance(self, conn: asyncpg.Connection) -> None:
        """One tick: move every run in flight on by a step, and maybe start a new run."""
        now = datetime.now(UTC)
        finished: list[_Live] = []
        for live in self._live:
            if self._advance_run(live, now):
                finished.append(live)
        changed = [self._row(live, now) for live in self._live if live.changed]
        if changed:
            await self._writer.update(conn, changed)
        for live in self._live:
            live.changed = False
        for live in finished:
            self._live.remove(live)
            self.runs_finished += 1
        if len(self._live) < 2 or (
            len(self._live) < self.concurrency and self._rng.random() < 0.45
        ):
            await self._start_run(conn, now)

    def _next_script(self, now: datetime) -> RunScript:
        rng = self._rng
        if self.runs_started % INCIDENT_EVERY == INCIDENT_EVERY // 2:
            # The refund incident goes on: its new version keeps failing refunds in yen.
            return incident_run(rng, now)
        org = rng.choice(ORGS)
        failing_loop = self.runs_started % FAILING_LOOP_EVERY == (
            0 if self._failing_loop_first else FAILING_LOOP_EVERY - 1
        )
        if failing_loop:
            size = rng.randint(30, 200)
            scenario = Scenario(
                st.FAILED, loop_size=size, fail_iteration=rng.randint(size // 3, 2 * size // 3)
            )
            workflow = CATALOG["csv_import"]
        else:
            workflow = CATALOG[rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]]
            outcome = rng.choices([o for o, _ in _OUTCOMES], weights=[w for _, w in _OUTCOMES])[0]
            unresolved = None
            if workflow.key == "user_onboarding_emails" and rng.random() < 0.2:
                unresolved = UNRESOLVED_SILENT
            scenario = Scenario(
                outcome,
                loop_size=rng.randint(*_LIVE_LOOP) if workflow.has_loop else None,
                retry_rate=0.08,
                unresolved_ref=unresolved,
            )
        return build_run(workflow, org, scenario, now, seed=rng.getrandbits(48), pick=rng)

    async def _start_run(self, conn: asyncpg.Connection, now: datetime) -> None:
        script = self._next_script(now)
        trigger = _ended(script.entries[0], now, now + timedelta(milliseconds=8))
        live = _Live(script, cuid(now, self._rng), now, [trigger], cursor=now)
        row = script.row(
            row_id=live.row_id, run_id=ulid(now, self._rng), event_id=ulid(now, self._rng)
        )
        row.update(self._row(live, now))
        await self._writer.insert(conn, [row])
        self._live.append(live)
        self.runs_started += 1

    def _advance_run(self, live: _Live, now: datetime) -> bool:
        """Move one run on; True once its last entry has ended."""
        entries = live.script.entries
        if live.running:
            planned = entries[live.next - 1]
            started = datetime.fromisoformat(live.log[-1]["startedAt"])
            if planned["status"] == st.TIMED_OUT and now - started < timedelta(
                milliseconds=planned.get("durationMs", 0)
            ):
                # A step that times out really runs until the platform's limit.
                return False
            live.log[-1] = _ended(planned, started, now)
            live.cursor = now
            live.running = False
            live.changed = True
        quick = 0
        while live.next < len(entries):
            planned = entries[live.next]
            live.next += 1
            live.changed = True
            if planned.get("operation") == LOOP_OPERATION:
                live.log.append(_ended(planned, live.cursor, live.cursor))
                continue
            is_last = live.next == len(entries)
            quick_iteration = planned.get("iteration") and planned["status"] == st.COMPLETED
            if quick_iteration and not is_last and quick < self.burst - 1:
                # Quick iterations end within the tick, at their planned pace.
                took = timedelta(milliseconds=min(planned.get("durationMs", 50), 200))
                ended = min(live.cursor + took, now)
                live.log.append(_ended(planned, live.cursor, ended))
                live.cursor = ended
                quick += 1
                continue
            live.log.append(_running(planned, iso(now)))
            live.running = True
            return False
        return True

    def _row(self, live: _Live, now: datetime) -> dict[str, Any]:
        script = live.script
        done = not live.running and live.next >= len(script.entries)
        return {
            "id": live.row_id,
            "status": script.status if done else st.RUNNING,
            "ended_at": now if done else None,
            "duration_ms": round((now - live.started_at).total_seconds() * 1000) if done else None,
            "steps_log": live.log,
            "output_payload": script.output_payload if done else None,
            "error": script.error if done else None,
            "error_stack": script.error_stack if done else None,
        }

    async def _close(self, conn: asyncpg.Connection) -> None:
        """Cancel the runs in flight and close the connection, within a couple of seconds."""
        now = datetime.now(UTC)
        rows = []
        for live in self._live:
            if live.running:
                started = datetime.fromisoformat(live.log[-1]["startedAt"])
                live.log[-1] = {
                    **live.log[-1],
                    "status": st.CANCELED,
                    "endedAt": iso(now),
                    "durationMs": max(1, round((now - started).total_seconds() * 1000)),
                }
            rows.append(
                {
                    "id": live.row_id,
                    "status": st.CANCELED,
                    "ended_at": now,
                    "duration_ms": round((now - live.started_at).total_seconds() * 1000),
                    "steps_log": live.log,
                    "output_payload": None,
                    "error": "Run canceled: the demo simulator stopped",
                    "error_stack": None,
                }
            )
        self._live.clear()
        try:
            if rows:
                await asyncio.wait_for(self._writer.update(conn, rows), timeout=2)
            await asyncio.wait_for(conn.close(), timeout=2)
        except (*_CONNECTION_ERRORS, TimeoutError, asyncio.CancelledError) as exc:
            self.last_error = exc
            conn.terminate()
