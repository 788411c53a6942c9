"""The store: a small read-only asyncpg pool and the queries the UI and CLI call.

The tool is opened on production databases in the middle of incidents, so the pool is
small (at most three connections), every session is read-only with a statement timeout,
and every query is bounded by an index range or a LIMIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import asyncpg

from wflog_tui.model import status as st
from wflog_tui.model.collector_pause import paused_collector
from wflog_tui.model.failure_groups import Failure, GroupKey
from wflog_tui.model.failure_splitters import SampleRun
from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.model.timestamps import as_utc
from wflog_tui.store.codecs import decode_json, install_json_codecs
from wflog_tui.store.dsn import describe_target, mask_dsn
from wflog_tui.store.error_translation import translate
from wflog_tui.store.errors import ConfigurationError, ConnectionLost, RunNotFound
from wflog_tui.store.failure_queries import (
    FAILURE_PAGE,
    FailureQueries,
    failure_from_row,
    sample_from_row,
)
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.queries import (
    Delta,
    PageCursor,
    Queries,
    StepsTail,
    detail_from_row,
    skeleton_from_row,
    summary_from_row,
)
from wflog_tui.store.schema import DEFAULT_TABLE, TableInfo, introspect

APPLICATION_NAME: Final = "wflog-tui"
MAX_CONNECTIONS: Final = 3
DEFAULT_CONNECT_TIMEOUT_S: Final = 5.0
# A client-side limit on top of statement_timeout: when the network drops, no server
# will ever cancel the statement, and a refresh must not hang for ever.
_CLIENT_SLACK_S: Final = 5.0

T = TypeVar("T")


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
    statement_timeout_s: float = 5.0
    max_connections: int = MAX_CONNECTIONS
    organisation_scope: str | None = None
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    pgbouncer: bool = False

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
    """How long one call took (ms, round trip included) and how many rows it returned."""

    ms: float
    rows: int
    at: datetime


@dataclass
class StoreStats:
    """The last duration and row count of each store method, for adaptive refresh."""

    last: dict[str, QueryStat] = field(default_factory=dict)
    calls: int = 0
    failures: int = 0

    def record(self, name: str, ms: float, rows: int) -> None:
        """Remember one successful call of `name`."""
        self.calls += 1
        self.last[name] = QueryStat(ms=ms, rows=rows, at=datetime.now(UTC))


class Store:
    """Read access to the execution log; every method returns model objects.

    Use `open_store` to get one. All errors are `StoreError`s. A connection that died
    (server restart, terminated backend) is replaced, and a call that found one dead is
    tried once more on a fresh connection before `ConnectionLost` is raised.
    """

    def __init__(self, pool: asyncpg.Pool, settings: StoreSettings, info: TableInfo) -> None:
        self._pool = pool
        self.settings = settings
        self.info = info
        self.stats = StoreStats()
        self._queries = Queries(info, settings.organisation_scope)
        self._failure_queries = FailureQueries(info, settings.organisation_scope)

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

    @property
    def warnings(self) -> tuple[str, ...]:
        """What is off about the table (missing optional columns, odd types)."""
        return self.info.warnings

    async def _run(
        self,
        name: str,
        work: Callable[[asyncpg.Connection], Awaitable[T]],
        count: Callable[[T], int],
    ) -> T:
        start = time.perf_counter()
        for attempt in (1, 2):
            try:
                result = await self._once(work)
            except ConnectionLost:
                self.stats.failures += 1
                if attempt == 2:
                    raise
                continue
            except Exception:
                self.stats.failures += 1
                raise
            self.stats.record(name, (time.perf_counter() - start) * 1000, count(result))
            return result
        raise AssertionError("unreachable")

    async def _once(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        dsn = self.settings.dsn
        try:
            conn = await self._pool.acquire(timeout=self.settings.connect_timeout_s + 1)
        except Exception as exc:
            raise translate(exc, dsn, connecting=True) from None
        try:
            if self.settings.pgbouncer:
                async with conn.transaction(readonly=True):
                    await _apply_settings_locally(conn, self.settings)
                    return await work(conn)
            return await work(conn)
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
        try:
            conn = await self._pool.acquire(timeout=self.settings.connect_timeout_s + 1)
        except Exception as exc:
            raise translate(exc, self.settings.dsn, connecting=True) from None
        try:
            yield conn
        finally:
            # The pool resets the connection (UNLISTEN *) or discards it if it died.
            with contextlib.suppress(Exception):
                await self._pool.release(conn)

    async def fetch_page(
        self, run_filter: RunFilter, *, before: PageCursor | None = None, limit: int = 100
    ) -> list[RunSummary]:
        """One page of the run list, newest first, after `before` (keyset paging)."""
        sql, args = self._queries.page(run_filter, before, limit)
        return await self._run("fetch_page", _summaries(sql, args, self._timeout), len)

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

    async def fetch_delta(
        self, run_filter: RunFilter, *, newest: PageCursor | None, running_ids: Sequence[str]
    ) -> Delta:
        """What changed since the last refresh: new rows, and the rows in `running_ids` now.

        `new` holds matching rows from a few seconds before `newest` on (at most 500,
        newest first); with no `newest`, the newest matching rows. `changed` holds the
        current state of `running_ids` (looked up by primary key) whether or not they still
        match the filter, within the organisation scope.
        """

        async def work(conn: asyncpg.Connection) -> Delta:
            sql, args = self._queries.newer(run_filter, newest)
            new = [summary_from_row(r) for r in await conn.fetch(sql, *args, timeout=self._timeout)]
            changed: list[RunSummary] = []
            if running_ids:
                sql, args = self._queries.by_ids(running_ids)
                rows = await conn.fetch(sql, *args, timeout=self._timeout)
                changed = [summary_from_row(r) for r in rows]
            return Delta(new=new, changed=changed)

        return await self._run("fetch_delta", work, lambda d: len(d.new) + len(d.changed))

    async def fetch_run(self, run_id: str, *, skeleton_over: int | None = None) -> RunDetail | None:
        """One run by `run_id`, else by `id`; None when there is none (in scope).

        With `skeleton_over` (bytes), a bigger `steps_log` array comes as a `LogSkeleton`:
        the plain entries' payloads and times stay in the database until `fetch_entries`
        asks for them. Row and skeleton are read in one snapshot.
        """
        key = run_id.strip()

        async def work(conn: asyncpg.Connection) -> RunDetail | None:
            sql, args = self._queries.run(key, skeleton_over=skeleton_over)
            # Decoding 100,000 elements per array of a skeleton is the allocation burst
            # the cyclic collector would otherwise keep interrupting.
            with paused_collector():
                row = await conn.fetchrow(sql, *args, timeout=self._timeout)
                if row is None:
                    return None
                detail = detail_from_row(row, self.info, decode_json)
                if skeleton_over is None or not row["wflog:big"]:
                    return detail
                if row["wflog:ordinals"] is not None:
                    return replace(detail, steps_log=skeleton_from_row(row, decode_json))
            # Big but no array (or an empty one): the value itself is what to show.
            sql, args = self._queries.run(key)
            row = await conn.fetchrow(sql, *args, timeout=self._timeout)
            return None if row is None else detail_from_row(row, self.info, decode_json)

        return await self._run("fetch_run", work, lambda r: 0 if r is None else 1)

    async def fetch_baseline(self, run: RunSummary, lookback: timedelta) -> RunSummary | None:
        """The run to compare `run` with by default (see `Queries.baseline`); None if none."""
        built = self._queries.baseline(run, lookback)
        if built is None:
            return None
        sql, args = built

        async def work(conn: asyncpg.Connection) -> RunSummary | None:
            row = await conn.fetchrow(sql, *args, timeout=self._timeout)
            return None if row is None else summary_from_row(row)

        return await self._run("fetch_baseline", work, lambda r: 0 if r is None else 1)

    async def fetch_entries(self, run_id: str, indexes: Sequence[int]) -> dict[int, Any]:
        """Whole `steps_log` elements by index (a skeleton's plain entries). Missing → absent."""
        key = run_id.strip()
        wanted = sorted({int(i) for i in indexes if int(i) >= 0})
        if not wanted or self.info.json_type("steps_log") is None:
            return {}

        async def work(conn: asyncpg.Connection) -> dict[int, Any]:
            sql, args = self._queries.entries(key, wanted)
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
        sql, args = self._queries.steps_matching(run_id.strip(), text, limit)

        async def work(conn: asyncpg.Connection) -> list[int]:
            return [row[0] for row in await conn.fetch(sql, *args, timeout=self._timeout)]

        return await self._run("find_in_steps", work, len)

    async def fetch_steps_from(self, run_id: str, start: int) -> StepsTail:
        """A run's status and its `steps_log` elements from index `start` (0-based) on.

        For following a RUNNING run without fetching its whole log again. Raises
        `RunNotFound` when the run is not there (or not in the organisation scope).
        """
        key = run_id.strip()
        start = max(0, int(start))

        async def work(conn: asyncpg.Connection) -> StepsTail:
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

    async def fetch_failures(
        self,
        run_filter: RunFilter,
        *,
        start: datetime | None,
        end: datetime | None = None,
        newer_than: datetime | None = None,
        before: PageCursor | None = None,
        limit: int = FAILURE_PAGE,
    ) -> list[Failure]:
        """One page of FAILED and TIMED_OUT runs started in [start, end), newest first.

        Each comes with its group key, read from the log on the server where the column is
        `jsonb`. `newer_than` keeps runs that failed from a few seconds before it on (a
        refresh); `before` pages on. The filter's workflow and organisation apply.
        """
        sql, args = self._failure_queries.failures(
            run_filter, start=start, end=end, newer_than=newer_than, before=before, limit=limit
        )

        async def work(conn: asyncpg.Connection) -> list[Failure]:
            rows = await conn.fetch(sql, *args, timeout=self._timeout)
            return [failure_from_row(row, decode_json) for row in rows]

        return await self._run("fetch_failures", work, len)

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
        keys) and of the newest `passing_limit` COMPLETED runs of `key`'s workflow started
        from `start` on. Two statements on one connection, one after the other.
        """
        failing_sql, failing_args = self._failure_queries.failing_sample(failing_ids)
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


async def _apply_settings_locally(conn: asyncpg.Connection, settings: StoreSettings) -> None:
    # set_config(..., true) is SET LOCAL: it ends with the transaction, so PgBouncer can
    # hand the server connection to another client afterwards unchanged.
    await conn.execute(
        "SELECT set_config('statement_timeout', $1, true), set_config('jit', 'off', true)",
        str(settings.statement_timeout_ms),
    )


async def open_store(settings: StoreSettings) -> Store:
    """Connect, check the table, and return a `Store`; raises `ConfigurationError` on failure.

    Every failure here is a configuration error to the CLI (exit 2): an unreachable
    server, a rejected login, a missing table or column.
    """
    max_size = max(1, min(int(settings.max_connections), MAX_CONNECTIONS))
    server_settings = settings.session_settings()
    if settings.pgbouncer:
        server_settings = {"application_name": APPLICATION_NAME}
    try:
        pool = await asyncpg.create_pool(
            dsn=settings.dsn,
            min_size=1,
            max_size=max_size,
            server_settings=server_settings,
            init=install_json_codecs,
            timeout=settings.connect_timeout_s,
            command_timeout=settings.statement_timeout_s + _CLIENT_SLACK_S,
            statement_cache_size=0 if settings.pgbouncer else 100,
            # A connection idle for a minute is closed: the pool shrinks back to one
            # between bursts instead of holding three backends on a busy server.
            max_inactive_connection_lifetime=60.0,
        )
    except Exception as exc:
        raise translate(exc, settings.dsn, connecting=True, at_start=True) from None
    try:
        async with pool.acquire() as conn:
            info = await introspect(conn, settings.table, settings.default_schema)
        if settings.organisation_scope is not None and not info.has("organisation_id"):
            raise ConfigurationError(
                f"--org needs column organisation_id, which {info.display_name} lacks"
            )
    except BaseException as exc:
        pool.terminate()
        if isinstance(exc, Exception):
            raise translate(exc, settings.dsn, at_start=True) from None
        raise
    return Store(pool, settings, info)
