"""The store: a small read-only asyncpg pool and the queries the UI and CLI call.

The tool is opened on production databases in the middle of incidents, by many people at
once, so a viewer runs one query at a time on one connection (plus, only while push
refresh is on, the LISTEN connection), gives back connections left idle, waits with
growing, jittered pauses when the server has no connection slot to spare, and every
session is read-only with a statement timeout. Every query is bounded by an index range
or a LIMIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, TypeVar

import asyncpg

from wflog_tui.model import status as st
from wflog_tui.model.collector_pause import paused_collector
from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.model.timestamps import as_utc
from wflog_tui.store.codecs import decode_json, install_codecs
from wflog_tui.store.dsn import (
    NOTHING_CONFIGURED_HINT,
    describe_target,
    mask_dsn,
    nothing_configured,
)
from wflog_tui.store.error_translation import TOO_MANY_CONNECTIONS, translate
from wflog_tui.store.errors import (
    ConfigurationError,
    ConnectionLost,
    RecoveryConflict,
    RunNotFound,
    StoreError,
)
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.queries import (
    REPLICA_LAG,
    Delta,
    PageCursor,
    Queries,
    StepsTail,
    detail_from_row,
    skeleton_from_row,
    summary_from_row,
)
from wflog_tui.store.query_timing import DbTime, LoopStallMeter, TimedConnection, measure
from wflog_tui.store.schema import DEFAULT_TABLE, TableInfo, introspect

if TYPE_CHECKING:
    from wflog_tui.model.failure_groups import Failure, GroupKey
    from wflog_tui.model.failure_splitters import SampleRun
    from wflog_tui.store.failure_queries import FailurePage, FailureQueries

APPLICATION_NAME: Final = "wflog-tui"
# How many run ids' start times the store keeps, to bound lookups on `started_at`.
_KNOWN_STARTS: Final = 4096
# Of a read of failures up to now, the newest this many are remembered: a group's newest
# runs are the ones the groups screen and the report open. A quarter of the memory, so
# a window of many failures does not push out the list's rows.
_KNOWN_FAILURE_STARTS: Final = _KNOWN_STARTS // 4
# One connection for queries (they run one at a time) and one for LISTEN, only while
# push refresh is on.
MAX_CONNECTIONS: Final = 2
# A connection unused this long is closed: a viewer left open on a quiet screen (paused,
# reading a run) holds no backend.
IDLE_CONNECTION_S: Final = 30.0
# Waits after the server refused a connection for want of slots: doubling from the base,
# at most this long, each drawn at random from its upper half, so many viewers refused at
# once do not all come back at once.
REFUSED_WAIT_MAX_S: Final = 60.0
# A standby further behind than this says so.
REPLICA_LAG_SHOWN: Final = timedelta(seconds=1)
DEFAULT_CONNECT_TIMEOUT_S: Final = 5.0
# Any query running longer is cancelled by the server (`--statement-timeout`).
DEFAULT_STATEMENT_TIMEOUT_S: Final = 5.0
# A client-side limit on top of statement_timeout: when the network drops, no server
# will ever cancel the statement, and a refresh must not hang for ever.
_CLIENT_SLACK_S: Final = 5.0

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, repr=False)
class StoreSettings:
    """How to open the store. `organisation_scope` (`--org`) restricts every query.

    `pgbouncer` (Prisma's `pgbouncer=true`) is for a PgBouncer in transaction mode, which
    refuses session settings at login and cannot keep prepared statements: settings are
    then applied per transaction and the statement cache is off.
    """

    dsn: str | None
    table: str = DEFAULT_TABLE
    default_schema: str | None = None
    statement_timeout_s: float = DEFAULT_STATEMENT_TIMEOUT_S
    max_connections: int = MAX_CONNECTIONS
    organisation_scope: str | None = None
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    pgbouncer: bool = False
    refused_wait_s: float = 1.0

    def __repr__(self) -> str:
        return (
            f"StoreSettings(dsn={mask_dsn(self.dsn)!r}, table={self.table!r}, "
            f"default_schema={self.default_schema!r}, "
            f"statement_timeout_s={self.statement_timeout_s!r}, "
            f"organisation_scope={self.organisation_scope!r})"
        )

    @property
    def statement_timeout_ms(self) -> int:
        """`statement_timeout` as PostgreSQL takes it."""
        return max(1, int(self.statement_timeout_s * 1000))

    def session_settings(self) -> dict[str, str]:
        """The server settings every session of the store runs with."""
        return {
            "default_transaction_read_only": "on",
            "statement_timeout": str(self.statement_timeout_ms),
            # A read-only viewer never holds a transaction open; if it somehow did, the
            # server ends it rather than let it hold back vacuum.
            "idle_in_transaction_session_timeout": str(max(10_000, 2 * self.statement_timeout_ms)),
            # The queries are short; JIT compiling them would cost more than it saves.
            "jit": "off",
            "application_name": APPLICATION_NAME,
        }


@dataclass(frozen=True, slots=True)
class QueryStat:
    """One call: how long it took (`ms`: pool wait, round trips and decoding included),
    how much of that was the database's (`db_ms`: asyncpg's calls less the event loop's
    stalls, see `query_timing`), and how many rows it returned."""

    ms: float
    rows: int
    at: datetime
    db_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Header:
    """The list's header: counts by status and failures per minute, either None if it failed.

    `problems` holds one line per failed part ("sparkline: …"), already masked.
    """

    counts: dict[str, int] | None
    spark: list[int] | None
    problems: tuple[str, ...] = ()


def refused_wait(refusals: int, base_s: float, draw: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the `refusals`-th refusal in a row (1, 2, ...): the cap doubles
    from `2 * base_s` up to `REFUSED_WAIT_MAX_S`, and the wait is drawn from its upper half.
    """
    cap = min(REFUSED_WAIT_MAX_S, base_s * 2 ** min(max(1, refusals), 30))
    return cap / 2 + draw() * cap / 2


@dataclass
class StoreStats:
    """The last duration and row count of each store method, for adaptive refresh, and how
    many queries were ever in flight at once (one, by design)."""

    last: dict[str, QueryStat] = field(default_factory=dict)
    calls: int = 0
    failures: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0

    def record(self, name: str, ms: float, rows: int, db_ms: float = 0.0) -> None:
        """Remember one successful call of `name`."""
        self.calls += 1
        self.last[name] = QueryStat(ms=ms, rows=rows, at=datetime.now(UTC), db_ms=db_ms)

    @staticmethod
    def measure() -> contextlib.AbstractContextManager[DbTime]:
        """`with store.stats.measure() as cycle:` adds up the database time (`cycle.seconds`)
        of every store call the block makes, failed ones included: what a refresh loop
        gives `RefreshPacer.record` (see `query_timing.measure`)."""
        return measure()


class Store:
    """Read access to the execution log; every method returns model objects.

    Use `open_store` to get one. All errors are `StoreError`s. A connection that died
    (server restart, terminated backend) is replaced, and a call that found one dead is
    tried once more on a fresh connection before `ConnectionLost` is raised.
    """

    def __init__(
        self, pool: asyncpg.Pool, settings: StoreSettings, info: TableInfo, *, standby: bool = False
    ) -> None:
        self._pool = pool
        self.settings = settings
        self.info = info
        # A hot standby: no notifications, recovery conflicts, and replication lag.
        self.standby = standby
        self._one_at_a_time = asyncio.Lock()
        self._refusals = 0
        self._refused_until = 0.0
        self._refused_wall = datetime.now(UTC)
        self._refused_reason = ""
        self.stats = StoreStats()
        self._stall_meter = LoopStallMeter()
        self._queries = Queries(info, settings.organisation_scope)
        # started_at of the rows seen, by id and by run_id: lookups by key then name it,
        # and a table partitioned by started_at reads one partition instead of all.
        self._started: dict[str, datetime] = {}

    def __repr__(self) -> str:
        return f"Store({self.info.display_name}, dsn={mask_dsn(self.settings.dsn)!r})"

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every connection; waits at most a few seconds for busy ones."""
        try:
            await asyncio.wait_for(self._pool.close(), self.settings.connect_timeout_s)
        except Exception:
            self._pool.terminate()

    @functools.cached_property
    def _failure_queries(self) -> FailureQueries:
        # Imported on first use: the failure modules are a sixth of what a start imports
        # before its first query can go out, and most starts never read failures.
        from wflog_tui.store.failure_queries import FailureQueries

        return FailureQueries(self.info, self.settings.organisation_scope)

    def _remember(self, runs: Iterable[RunSummary | Failure]) -> None:
        for run in runs:
            if run.started_at is None:
                continue
            for key in (run.id, run.run_id):
                self._started.pop(key, None)
                self._started[key] = run.started_at
        while len(self._started) > _KNOWN_STARTS:
            del self._started[next(iter(self._started))]

    @property
    def warnings(self) -> tuple[str, ...]:
        """What is off about the table (missing optional columns, odd types)."""
        return self.info.warnings

    @property
    def refused_until(self) -> datetime | None:
        """Until when the store makes no new connection, after the server refused one for
        want of slots; None when it is not waiting. Calls meanwhile raise `ConnectionLost`
        at once, saying how long is left."""
        return self._refused_wall if self._refused_until > time.monotonic() else None

    def _refused(self, left: float) -> ConnectionLost:
        return ConnectionLost(
            f"{self._refused_reason}; this viewer waits {math.ceil(left)} s before trying again",
            sqlstate=TOO_MANY_CONNECTIONS,
        )

    def _check_refused(self) -> None:
        left = self._refused_until - time.monotonic()
        if left > 0:
            raise self._refused(left)

    def _acquire_failed(self, exc: BaseException) -> StoreError:
        error = translate(exc, self.settings.dsn, connecting=True)
        if error.sqlstate != TOO_MANY_CONNECTIONS:
            return error
        self._refusals += 1
        wait = refused_wait(self._refusals, self.settings.refused_wait_s)
        self._refused_until = time.monotonic() + wait
        self._refused_wall = datetime.now(UTC) + timedelta(seconds=wait)
        self._refused_reason = error.message
        return self._refused(wait)

    async def _run(
        self,
        name: str,
        work: Callable[[asyncpg.Connection], Awaitable[T]],
        count: Callable[[T], int],
    ) -> T:
        # One query at a time, whichever view asks: the viewer never has two in flight,
        # and never needs a second connection for queries.
        async with self._one_at_a_time:
            self.stats.in_flight += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self.stats.in_flight)
            try:
                return await self._attempts(name, work, count)
            finally:
                self.stats.in_flight -= 1

    async def _attempts(
        self,
        name: str,
        work: Callable[[asyncpg.Connection], Awaitable[T]],
        count: Callable[[T], int],
    ) -> T:
        start = time.perf_counter()
        db_s = 0.0
        for attempt in (1, 2):
            try:
                result, db_s = await self._once(work, db_s)
            except (ConnectionLost, RecoveryConflict) as error:
                self.stats.failures += 1
                # A refused connection waits; anything else is tried once more (a fresh
                # connection, or a replica that has replayed past the conflict).
                if attempt == 2 or error.sqlstate == TOO_MANY_CONNECTIONS:
                    raise
                continue
            except Exception:
                self.stats.failures += 1
                raise
            self._refusals = 0
            elapsed_ms = (time.perf_counter() - start) * 1000
            self.stats.record(name, elapsed_ms, count(result), db_ms=db_s * 1000)
            return result
        raise AssertionError("unreachable")

    async def _once(
        self, work: Callable[[asyncpg.Connection], Awaitable[T]], db_s: float
    ) -> tuple[T, float]:
        """`work`'s result and `db_s` plus the database time of its calls."""
        dsn = self.settings.dsn
        self._check_refused()
        try:
            conn = await self._pool.acquire(timeout=self.settings.connect_timeout_s + 1)
        except Exception as exc:
            raise self._acquire_failed(exc) from None
        # `work` sees the connection through the timing proxy only.
        timed: Any = TimedConnection(conn, self._stall_meter)
        try:
            if self.settings.pgbouncer:
                async with conn.transaction(readonly=True):
                    await _apply_settings_locally(timed, self.settings)
                    return await work(timed), db_s + timed.seconds
            return await work(timed), db_s + timed.seconds
        except Exception as exc:
            error = translate(exc, dsn)
            if _is_gone(conn) and not isinstance(error, ConnectionLost):
                # A backend killed while idle can surface as any protocol error on the
                # next query (asyncpg reads the FATAL message mid-operation); what counts
                # is that the connection is gone.
                error = ConnectionLost(
                    f"connection to PostgreSQL at {describe_target(dsn)} lost: {error.message}"
                )
            raise error from None
        finally:
            # Releasing a connection the server killed only discards it; never mask the
            # error that brought us here with one from the clean-up.
            with contextlib.suppress(Exception):
                await self._pool.release(conn)

    @contextlib.asynccontextmanager
    async def dedicated_connection(self) -> AsyncIterator[asyncpg.Connection]:
        """One of the pool's connections, held for the whole block (for LISTEN).

        It counts against the pool's limit, so the tool never opens more than
        `MAX_CONNECTIONS` backends; the other connections keep serving queries. Leave the
        block before `close()`, which otherwise waits for it. Raises `StoreError`s.
        """
        self._check_refused()
        try:
            conn = await self._pool.acquire(timeout=self.settings.connect_timeout_s + 1)
        except Exception as exc:
            raise self._acquire_failed(exc) from None
        try:
            yield conn
        finally:
            # The pool resets the connection (UNLISTEN *) or discards it if it died.
            with contextlib.suppress(Exception):
                await self._pool.release(conn)

    async def reads_wait_on_a_lock(self) -> bool:
        """Whether a read of the table must wait now for a lock another session holds or awaits.

        Asks for the read lock that every query of ours takes, with `lock_timeout` at 100 ms:
        refused, the table is locked (ALTER TABLE, VACUUM FULL, a migration, or a request for
        one queued behind a long transaction) and queries wait on that, not on a plan.
        Nothing is locked for longer than that, and no query of ours waits on this one.
        """
        table = self.info.qualified

        async def work(conn: asyncpg.Connection) -> bool:
            return await read_waits_on_a_lock(conn, table, self._timeout)

        return await self._run("reads_wait_on_a_lock", work, int)

    async def fetch_page(
        self, run_filter: RunFilter, *, before: PageCursor | None = None, limit: int = 100
    ) -> list[RunSummary]:
        """One page of the run list, newest first, after `before` (keyset paging)."""
        sql, args = self._queries.page(run_filter, before, limit)
        page = await self._run("fetch_page", _summaries(sql, args, self._timeout), len)
        self._remember(page)
        return page

    async def count_by_status(self, run_filter: RunFilter) -> dict[str, int]:
        """Runs per status in the filter's window; the five known statuses always present."""

        async def work(conn: asyncpg.Connection) -> dict[str, int]:
            sql, args = self._queries.counts(run_filter)
            counts = dict.fromkeys(st.KNOWN, 0)
            for row in await conn.fetch(sql, *args, timeout=self._timeout):
                counts[row["status"]] = row["n"]
            return counts

        return await self._run("count_by_status", work, len)

    async def failures_per_minute(self, run_filter: RunFilter, minutes: int = 60) -> list[int]:
        """FAILED and TIMED_OUT runs per minute, oldest minute first, the current one last.

        Exactly `minutes` long, minutes without failures as 0. A run counts in the minute
        it ended (or started, if it has no end). The filter's statuses and window do not
        apply: the sparkline has its own window.
        """
        minutes = max(1, int(minutes))

        async def work(conn: asyncpg.Connection) -> list[int]:
            sql, args = self._queries.failures_per_minute(run_filter, minutes)
            buckets = [0] * minutes
            for row in await conn.fetch(sql, *args, timeout=self._timeout):
                ago = min(row["ago"], minutes - 1)
                buckets[minutes - 1 - ago] += row["n"]
            return buckets

        return await self._run("failures_per_minute", work, len)

    async def fetch_header(self, run_filter: RunFilter, minutes: int = 60) -> Header:
        """Counts and the failure sparkline, each failing alone.

        A query error in one part (data its SQL could not handle) leaves that part None
        and the other, and the rows, on screen. A lost connection, a timeout or a
        configuration error (a revoked grant) still raises: it concerns the whole list.
        """
        problems: list[str] = []

        async def part(name: str, fetch: Awaitable[T]) -> T | None:
            try:
                return await fetch
            except StoreError as exc:
                if type(exc) is not StoreError:
                    raise
                problems.append(f"{name}: {exc}")
                return None

        counts = await part("counts", self.count_by_status(run_filter))
        spark = await part("sparkline", self.failures_per_minute(run_filter, minutes))
        return Header(counts, spark, tuple(problems))

    async def fetch_delta(
        self, run_filter: RunFilter, *, newest: PageCursor | None, running_ids: Sequence[str]
    ) -> Delta:
        """What changed since the last refresh: new rows, and the rows in `running_ids` now.

        `new` holds matching rows from a few seconds before `newest` on (at most 500,
        newest first); with no `newest`, the newest matching rows. `changed` holds the
        current state of `running_ids` (looked up by primary key) whether or not they still
        match the filter, within the organisation scope: between the earliest and latest
        `started_at` among them when the store has seen every one.
        """
        started = [self._started.get(i) for i in running_ids]
        bounds = [s for s in started if s is not None] if None not in started else []

        async def work(conn: asyncpg.Connection) -> Delta:
            sql, args = self._queries.newer(run_filter, newest)
            new = [summary_from_row(r) for r in await conn.fetch(sql, *args, timeout=self._timeout)]
            changed: list[RunSummary] = []
            if running_ids:
                sql, args = self._queries.by_ids(running_ids, bounds)
                rows = await conn.fetch(sql, *args, timeout=self._timeout)
                changed = [summary_from_row(r) for r in rows]
            lag = await _replica_lag(conn, self._timeout) if self.standby else None
            return Delta(new=new, changed=changed, replica_lag=lag)

        delta = await self._run("fetch_delta", work, lambda d: len(d.new) + len(d.changed))
        # A row not found where it was seen (its started_at changed, or it is gone) is
        # looked for everywhere next time.
        for missing in set(running_ids) - {r.id for r in delta.changed}:
            self._started.pop(missing, None)
        self._remember(delta.new)
        self._remember(delta.changed)
        return delta

    async def fetch_run(
        self,
        run_id: str,
        *,
        skeleton_over: int | None = None,
        skeleton_entries: int | None = None,
    ) -> RunDetail | None:
        """One run by `run_id`, else by `id`; None when there is none (in scope).

        With `skeleton_over` (bytes stored), a bigger `steps_log` array, or with
        `skeleton_entries` one of more entries, comes as a `LogSkeleton`:
        the plain entries' payloads and times stay in the database until `fetch_entries`
        asks for them. Row and skeleton are read in one snapshot.
        """
        return await self.fetch_run_as(
            run_id, _as_read, skeleton_over=skeleton_over, skeleton_entries=skeleton_entries
        )

    async def fetch_run_as(
        self,
        run_id: str,
        build: Callable[[RunDetail], R],
        *,
        skeleton_over: int | None = None,
        skeleton_entries: int | None = None,
    ) -> R | None:
        """`build` of the run `fetch_run` reads; None when there is none.

        `build` runs the moment the row is decoded, before the transaction ends and the
        connection goes back to the pool. Those are two more round trips, and each is a
        turn of the event loop in which an app starting meanwhile composes for tens of
        milliseconds: opening the 100,000-entry run, 50 ms passed between its row
        arriving and the tree being started. `build` must not raise.
        """
        key = run_id.strip()
        started_at = self._started.get(key)

        async def work(conn: asyncpg.Connection) -> tuple[RunDetail, R] | None:
            sql, args = self._queries.run(
                key,
                skeleton_over=skeleton_over,
                skeleton_entries=skeleton_entries,
                started_at=started_at,
            )
            # Decoding 100,000 elements per array of a skeleton is the allocation burst
            # the cyclic collector would otherwise keep interrupting.
            with paused_collector():
                row = await conn.fetchrow(sql, *args, timeout=self._timeout)
                if row is None and started_at is not None:
                    # Not where it was seen: look everywhere.
                    sql, args = self._queries.run(key, skeleton_over=skeleton_over)
                    row = await conn.fetchrow(sql, *args, timeout=self._timeout)
                if row is None:
                    return None
                detail = detail_from_row(row, self.info, decode_json)
                if skeleton_over is None or not row["wflog:big"]:
                    return detail, build(detail)
                if row["wflog:kinds"] is not None:
                    skeleton = skeleton_from_row(row, decode_json)
                    if skeleton is None:
                        # An iteration the client cannot read for sure: the server sorts
                        # such entries out, at a sixth more of the statement's time.
                        sql, args = self._queries.run(
                            key,
                            skeleton_over=skeleton_over,
                            skeleton_entries=skeleton_entries,
                            strict_iterations=True,
                        )
                        row = await conn.fetchrow(sql, *args, timeout=self._timeout)
                        if row is None:
                            return None
                        detail = detail_from_row(row, self.info, decode_json)
                        if not row["wflog:big"] or row["wflog:kinds"] is None:
                            return detail, build(detail)
                        skeleton = skeleton_from_row(row, decode_json)
                    if skeleton is not None:
                        detail = replace(detail, steps_log=skeleton)
                        return detail, build(detail)
            # Big but no array (or an empty one): the value itself is what to show.
            sql, args = self._queries.run(key)
            row = await conn.fetchrow(sql, *args, timeout=self._timeout)
            if row is None:
                return None
            detail = detail_from_row(row, self.info, decode_json)
            return detail, build(detail)

        found = await self._run("fetch_run", work, lambda r: 0 if r is None else 1)
        if found is None:
            return None
        self._remember([found[0].summary])
        return found[1]

    async def replica_lag(self) -> timedelta | None:
        """How far a hot standby is behind its primary, when more than a second; else None.

        `fetch_delta` reports the same with each refresh; this is for views that have no
        refresh of the list (a run followed live).
        """
        if not self.standby:
            return None
        return await self._run(
            "replica_lag", lambda conn: _replica_lag(conn, self._timeout), lambda _: 1
        )

    async def fetch_baseline(self, run: RunSummary, lookback: timedelta) -> RunSummary | None:
        """The run to compare `run` with by default (see `Queries.baseline`); None if none."""
        built = self._queries.baseline(run, lookback)
        if built is None:
            return None
        sql, args = built

        async def work(conn: asyncpg.Connection) -> RunSummary | None:
            row = await conn.fetchrow(sql, *args, timeout=self._timeout)
            return None if row is None else summary_from_row(row)

        found = await self._run("fetch_baseline", work, lambda r: 0 if r is None else 1)
        if found is not None:
            # The comparison opens it next, by id: in its own partition.
            self._remember([found])
        return found

    async def fetch_entries(self, run_id: str, indexes: Sequence[int]) -> dict[int, Any]:
        """Whole `steps_log` elements by index (a skeleton's plain entries). Missing → absent."""
        key = run_id.strip()
        wanted = sorted({int(i) for i in indexes if int(i) >= 0})
        if not wanted or self.info.json_type("steps_log") is None:
            return {}

        started_at = self._started.get(key)

        async def work(conn: asyncpg.Connection) -> dict[int, Any]:
            sql, args = self._queries.entries(key, wanted, started_at)
            value = await conn.fetchval(sql, *args, timeout=self._timeout)
            if not isinstance(value, list):
                return {}
            # Past the log's end nothing comes back, so the answer is a prefix of `wanted`.
            return {i: v for i, v in zip(wanted, value, strict=False) if v is not None}

        return await self._run("fetch_entries", work, len)

    async def find_in_steps(self, run_id: str, text: str, limit: int = 1000) -> list[int]:
        """Indexes (0-based, ascending) of the run's `steps_log` entries that mention
        `text` (any case) in their step id, name, error message, input or output; at most
        `limit`. Searched on the server over the whole log, loaded or not; [] for no
        match, a blank text, no such run, or a `steps_log` that is not JSON.
        """
        if not text.strip() or "\x00" in text or self.info.json_type("steps_log") is None:
            return []
        key = run_id.strip()
        started_at = self._started.get(key)

        async def work(conn: asyncpg.Connection) -> list[int]:
            sql, args = self._queries.steps_matching(key, text, limit, started_at=started_at)
            rows = await conn.fetch(sql, *args, timeout=self._timeout)
            if not rows and started_at is not None:
                # Not where it was seen: look everywhere.
                sql, args = self._queries.steps_matching(key, text, limit)
                rows = await conn.fetch(sql, *args, timeout=self._timeout)
            return [row[0] for row in rows if row[0] is not None]

        return await self._run("find_in_steps", work, len)

    async def fetch_steps_from(self, run_id: str, start: int) -> StepsTail:
        """A run's status and its `steps_log` elements from index `start` (0-based) on.

        For following a RUNNING run without fetching its whole log again. Raises
        `RunNotFound` when the run is not there (or not in the organisation scope).
        """
        key = run_id.strip()
        start = max(0, int(start))

        started_at = self._started.get(key)

        async def work(conn: asyncpg.Connection) -> StepsTail:
            sql, args = self._queries.steps_from(key, start, started_at)
            row = await conn.fetchrow(sql, *args, timeout=self._timeout)
            if row is None and started_at is not None:
                # Not where it was seen: look everywhere.
                sql, args = self._queries.steps_from(key, start)
                row = await conn.fetchrow(sql, *args, timeout=self._timeout)
            if row is None:
                raise RunNotFound(f"run {key} not found")
            total, entries = row["total"], row["entries"]
            if total is None:
                # steps_log is not a JSON column: decode and slice here.
                value = decode_json(entries) if isinstance(entries, str) else None
                items = value if isinstance(value, list) else []
                total, entries = len(items), items[start:]
            return StepsTail(
                status=row["status"],
                ended_at=as_utc(row["ended_at"]),
                duration_ms=row["duration_ms"],
                error=row["error"],
                total=total,
                start=start,
                entries=entries if isinstance(entries, list) else [],
            )

        return await self._run("fetch_steps_from", work, lambda t: len(t.entries))

    async def workflow_names(self, run_filter: RunFilter) -> list[str]:
        """Workflow names seen among the newest matching runs, sorted, for a picker.

        The filter's own workflow is ignored, so the picker can offer the others.
        """
        sql, args = self._queries.workflow_names(run_filter)
        return await self._run("workflow_names", _values(sql, args, self._timeout), len)

    async def organisations(self) -> list[str]:
        """Organisation ids seen among the newest runs, sorted; only the scope's when scoped."""
        sql, args = self._queries.organisations()
        return await self._run("organisations", _values(sql, args, self._timeout), len)

    async def server_now(self) -> datetime:
        """The server's clock (UTC-aware): failure windows are measured from it."""
        sql, args = self._failure_queries.server_now()

        async def work(conn: asyncpg.Connection) -> datetime:
            value = await conn.fetchval(sql, *args, timeout=self._timeout)
            return as_utc(value) or datetime.now(UTC)

        return await self._run("server_now", work, lambda _: 1)

    async def fetch_failures(self, run_filter: RunFilter, page: FailurePage) -> list[Failure]:
        """One page of FAILED and TIMED_OUT runs (`FailurePage`), newest first.

        Each comes with its group key, read from the log on the server where the column is
        `jsonb`. The filter's workflow and organisation apply. The start times of a first
        page with no `end` are remembered (the newest of them), so that opening one of
        those runs reads its own partition only.
        """
        from wflog_tui.store.failure_queries import failure_from_row

        sql, args = self._failure_queries.failures(run_filter, page)

        async def work(conn: asyncpg.Connection) -> list[Failure]:
            rows = await conn.fetch(sql, *args, timeout=self._timeout)
            return [failure_from_row(row, decode_json) for row in rows]

        failures = await self._run("fetch_failures", work, len)
        if page.before is None and page.end is None:
            # Oldest first, so that the newest are the last pushed out.
            self._remember(reversed(failures[:_KNOWN_FAILURE_STARTS]))
        return failures

    async def fetch_splitter_sample(
        self,
        run_filter: RunFilter,
        key: GroupKey,
        failing_ids: Sequence[str],
        *,
        start: datetime | None,
        passing_limit: int,
    ) -> tuple[list[SampleRun], list[SampleRun]]:
        """Payload, organisation and version of the failing runs `failing_ids` (primary
        keys of failures read in the window from `start` on) and of the newest
        `passing_limit` COMPLETED runs of `key`'s workflow started from `start` on. Two
        statements on one connection, one after the other, both inside the window.
        """
        from wflog_tui.store.failure_queries import sample_from_row

        failing_sql, failing_args = self._failure_queries.failing_sample(failing_ids, start=start)
        passing_sql, passing_args = self._failure_queries.passing_sample(
            run_filter, key, start=start, limit=passing_limit
        )

        async def work(conn: asyncpg.Connection) -> tuple[list[SampleRun], list[SampleRun]]:
            failing: list[SampleRun] = []
            if failing_ids:
                rows = await conn.fetch(failing_sql, *failing_args, timeout=self._timeout)
                failing = [sample_from_row(row, decode_json) for row in rows]
            rows = await conn.fetch(passing_sql, *passing_args, timeout=self._timeout)
            return failing, [sample_from_row(row, decode_json) for row in rows]

        return await self._run("fetch_splitter_sample", work, lambda s: len(s[0]) + len(s[1]))

    @property
    def _timeout(self) -> float:
        return self.settings.statement_timeout_s + _CLIENT_SLACK_S


async def read_waits_on_a_lock(conn: asyncpg.Connection, table: str, wait_s: float) -> bool:
    """Whether a read of `table` (quoted, qualified) on `conn` must wait now for a lock
    another session holds or awaits: `Store.reads_wait_on_a_lock`'s check, on a given
    connection (doctor's own). The lock is waited for 100 ms at most (`wait_s` bounds the
    statement on the client), and nothing is held after."""
    try:
        async with conn.transaction(readonly=True):
            await conn.fetchval("SELECT set_config('lock_timeout', '100ms', true)")
            await conn.fetch(f"EXPLAIN SELECT 1 FROM {table}", timeout=wait_s)
    except asyncpg.LockNotAvailableError:
        return True
    return False


async def _replica_lag(conn: asyncpg.Connection, seconds: float) -> timedelta | None:
    lag = await conn.fetchval(REPLICA_LAG, timeout=seconds)
    return lag if lag is not None and lag > REPLICA_LAG_SHOWN else None


def _is_gone(conn: asyncpg.Connection) -> bool:
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:
        # The pool already took the dead connection back.
        return True


def _summaries(
    sql: str, args: list[Any], timeout: float
) -> Callable[[asyncpg.Connection], Awaitable[list[RunSummary]]]:
    async def work(conn: asyncpg.Connection) -> list[RunSummary]:
        return [summary_from_row(r) for r in await conn.fetch(sql, *args, timeout=timeout)]

    return work


def _values(
    sql: str, args: list[Any], timeout: float
) -> Callable[[asyncpg.Connection], Awaitable[list[str]]]:
    async def work(conn: asyncpg.Connection) -> list[str]:
        return [r[0] for r in await conn.fetch(sql, *args, timeout=timeout)]

    return work


def _as_read(detail: RunDetail) -> RunDetail:
    return detail


async def _apply_settings_locally(conn: asyncpg.Connection, settings: StoreSettings) -> None:
    # set_config(..., true) is SET LOCAL: it ends with the transaction, so PgBouncer can
    # hand the server connection to another client afterwards unchanged.
    await conn.execute(
        "SELECT set_config('statement_timeout', $1, true), set_config('jit', 'off', true)",
        str(settings.statement_timeout_ms),
    )


def _connect_failed(exc: Exception, settings: StoreSettings) -> StoreError:
    """The first connection failed: one line, with how to name a database when nothing did."""
    error = translate(exc, settings.dsn, connecting=True, at_start=True)
    if nothing_configured(settings.dsn):
        error = ConfigurationError(f"{error.message} — {NOTHING_CONFIGURED_HINT}")
    return error


async def open_store(settings: StoreSettings) -> Store:
    """Connect, check the table, and return a `Store`; raises `ConfigurationError` on failure.

    Every failure here is a configuration error to the CLI (exit 2): an unreachable
    server, a rejected login, a missing table or column. A failure to connect where
    nothing named a database says how to name one (`NOTHING_CONFIGURED_HINT`).
    """
    max_size = max(1, min(int(settings.max_connections), MAX_CONNECTIONS))
    server_settings = settings.session_settings()
    if settings.pgbouncer:
        server_settings = {"application_name": APPLICATION_NAME}
    try:
        pool = await asyncpg.create_pool(
            dsn=settings.dsn,
            # No floor: asyncpg keeps min_size connections however long they idle.
            min_size=0,
            max_size=max_size,
            server_settings=server_settings,
            init=install_codecs,
            timeout=settings.connect_timeout_s,
            command_timeout=settings.statement_timeout_s + _CLIENT_SLACK_S,
            statement_cache_size=0 if settings.pgbouncer else 100,
            # Queries take turns on one connection; the LISTEN one comes and goes with
            # push refresh. Any left idle is closed, so a quiet viewer holds no backend.
            max_inactive_connection_lifetime=IDLE_CONNECTION_S,
        )
    except Exception as exc:
        raise _connect_failed(exc, settings) from None
    try:
        # The pool keeps no floor of connections, so this is where the first one is made.
        conn = await pool.acquire()
    except BaseException as exc:
        pool.terminate()
        if isinstance(exc, Exception):
            raise _connect_failed(exc, settings) from None
        raise
    try:
        try:
            info = await introspect(conn, settings.table, settings.default_schema)
        finally:
            await pool.release(conn)
        if settings.organisation_scope is not None and not info.has("organisation_id"):
            raise ConfigurationError(
                f"--org needs column organisation_id, which {info.display_name} lacks"
            )
    except BaseException as exc:
        pool.terminate()
        if isinstance(exc, Exception):
            raise translate(exc, settings.dsn, at_start=True) from None
        raise
    return Store(pool, settings, info, standby=info.standby)
