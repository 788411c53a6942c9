"""Doctor's measure of what the TUI's queries cost here: the list's first page, one
refresh, the header's counts, the sparkline and the failure groups' first page, each
timed a few times with its plan, and the whole refresh cycle as the TUI would pace it.

The statements are the store's own (`Queries`, `FailureQueries`) built for the user's
flags, so the cost is that of their own view. Plans are plain `EXPLAIN`, which runs
nothing; a plan that reads the table (or a partition) whole is a finding only on a table
big enough for that to matter (`ReportWriter.big`, set by `table_checks`).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg
import orjson

from wflog_tui.model import status as st
from wflog_tui.model.refresh_pacing import LOCK_WAIT_HINT, RefreshPacer
from wflog_tui.store.connection import read_waits_on_a_lock
from wflog_tui.store.doctor_report import ReportWriter
from wflog_tui.store.doctor_session import DoctorSession
from wflog_tui.store.error_translation import translate
from wflog_tui.store.errors import QueryTimeout, StoreError
from wflog_tui.store.failure_loading import window_at
from wflog_tui.store.failure_queries import FailurePage, FailureQueries
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.indexes import indexes_missing_hint
from wflog_tui.store.queries import PageCursor, Queries, summary_from_row
from wflog_tui.store.schema import TableInfo

DEFAULT_SAMPLES: Final = 3
# The list's first page, as the run list asks for it.
LIST_PAGE: Final = 100
# A query slower than this is timed once, not `samples` times: doctor is run on
# databases in trouble, and one slow sample already says what there is to say.
REPEAT_BELOW_MS: Final = 500.0


async def check_costs(
    writer: ReportWriter,
    session: DoctorSession,
    info: TableInfo,
    run_filter: RunFilter,
    refresh_s: float,
    samples: int,
) -> None:
    """Add a cost check per query of the list's refresh cycle and of failure groups, then
    one for the whole cycle against the refresh interval `refresh_s`."""
    queries = Queries(info, writer.settings.organisation_scope)
    indexes = "create the missing indexes (below)" if writer.report.index_statements else None
    page = await measure(
        writer,
        samples,
        session,
        info,
        "cost: list",
        [queries.page(run_filter, None, LIST_PAGE)],
        keep=True,
        fix=indexes,
    )
    rows = page or []
    newest = None
    if rows and rows[0]["started_at"] is not None:
        newest = PageCursor.after(summary_from_row(rows[0]))
    running = [r["id"] for r in rows if r["status"] == st.RUNNING]
    delta = [queries.newer(run_filter, newest)]
    if running:
        delta.append(queries.by_ids(running))
    # Without a window the header's counts are over all time: a whole-table read.
    window = (
        None if run_filter.since is not None else "pass --since 24h: counts then read that window"
    )
    cycle = [
        await measure(writer, samples, session, info, "cost: refresh", delta, fix=indexes),
        await measure(
            writer,
            samples,
            session,
            info,
            "cost: counts",
            [queries.counts(run_filter)],
            fix=window or indexes,
        ),
        await measure(
            writer,
            samples,
            session,
            info,
            "cost: sparkline",
            [queries.failures_per_minute(run_filter, 60)],
            fix=indexes,
        ),
    ]
    # Failure groups read the window's failures by the same index as the list; the
    # check's plan names the index they use.
    start = window_at(run_filter, datetime.now(UTC)).start
    failures = FailureQueries(info, writer.settings.organisation_scope)
    await measure(
        writer,
        samples,
        session,
        info,
        "cost: failure groups",
        [failures.failures(run_filter, FailurePage(start))],
        fix=window or indexes,
    )
    if any(ms is None for ms in cycle):
        return
    total_ms = sum(float(ms) for ms in cycle if ms is not None)
    pacer = RefreshPacer(refresh_s)
    pacer.record(total_ms / 1000)
    share = total_ms / 1000 / refresh_s * 100
    detail = (
        f"one refresh takes about {total_ms:.0f} ms: {share:.1f} % of a {refresh_s:g} s "
        "refresh interval"
    )
    hint = indexes_missing_hint(info)
    # Slowed: a lock another session holds, not a missing index, may be the cause.
    if pacer.slowed and await _reads_wait_on_a_lock(session, info):
        hint = LOCK_WAIT_HINT
    reason = pacer.reason(hint)
    if reason is not None:
        detail += f"; the TUI would slow down ({reason})"
    writer.add("cost: refresh cycle", not pacer.slowed, detail)


async def _reads_wait_on_a_lock(session: DoctorSession, info: TableInfo) -> bool:
    """Whether reads of the table wait on a lock now; False when that cannot be told."""
    try:
        return await read_waits_on_a_lock(session.conn, info.qualified, session.timeout)
    except (asyncpg.PostgresError, OSError, TimeoutError):
        return False


async def measure(
    writer: ReportWriter,
    samples: int,
    session: DoctorSession,
    info: TableInfo,
    name: str,
    statements: list[tuple[str, list[Any]]],
    *,
    keep: bool = False,
    fix: str | None = None,
) -> Any:
    """Time `statements` (run in turn) up to `samples` times; add a check with the median
    and plan.

    Returns the first statement's rows when `keep`, else the median ms; None when the
    statements failed (the check says why).
    """
    timings: list[float] = []
    rows: list[Any] = []
    try:
        for _ in range(samples):
            started = time.perf_counter()
            for i, (sql, args) in enumerate(statements):
                result = await session.fetch(sql, *args)
                if i == 0:
                    rows = result
            timings.append((time.perf_counter() - started) * 1000)
            if timings[-1] > REPEAT_BELOW_MS:
                break
        plans = [await _plan(writer, session, info, sql, args) for sql, args in statements]
    except StoreError as error:
        _failed_measure(writer, name, error)
        return None
    except Exception as exc:
        _failed_measure(writer, name, translate(exc, writer.settings.dsn))
        return None
    median = statistics.median(timings)
    text = [p for p, _ in plans]
    reads_all = any(seq for _, seq in plans)
    detail = f"{median:.1f} ms (median of {len(timings)}); plan: {' | '.join(text)}"
    ok = not (reads_all and writer.big)
    if not ok:
        detail += "; reads whole partitions" if writer.relations else "; reads the whole table"
    writer.add(name, ok, detail, None if ok else fix)
    return rows if keep else median


def _failed_measure(writer: ReportWriter, name: str, error: StoreError) -> None:
    if isinstance(error, QueryTimeout):
        limit = f"{writer.settings.statement_timeout_s:g} s"
        writer.add(name, False, f"took longer than statement_timeout ({limit}); the TUI would too")
    else:
        writer.add(name, False, error.message)


async def _plan(
    writer: ReportWriter, session: DoctorSession, info: TableInfo, sql: str, args: list[Any]
) -> tuple[str, bool]:
    """The plan's path from the top node down, and whether it scans the table whole."""
    # Plain EXPLAIN: it plans, and runs nothing.
    raw = await session.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    plan = (orjson.loads(raw) if isinstance(raw, str | bytes) else raw)[0]["Plan"]
    path: list[str] = []
    node: dict[str, Any] | None = plan
    while node is not None and len(path) < 6:
        path.append(_describe(node))
        children = node.get("Plans") or []
        node = children[0] if children else None
    return " > ".join(path), _scans_whole(plan, {info.name, *writer.relations})


def _describe(node: dict[str, Any]) -> str:
    kind = str(node.get("Node Type", "?"))
    if node.get("Index Name"):
        kind += f" using {node['Index Name']}"
    if node.get("Relation Name") and "Index Name" not in node:
        kind += f" on {node['Relation Name']}"
    return kind


def _scans_whole(plan: dict[str, Any], tables: set[str]) -> bool:
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in tables:
        return True
    return any(_scans_whole(child, tables) for child in plan.get("Plans") or [])
