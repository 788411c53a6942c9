"""`wflog-tui doctor`: what the tool finds on this database, and what would make it cheaper.

It reports the connection, the server, the session's read-only setting, the role's
privileges, the table, its types, its size, the recommended indexes (with the exact
`CREATE INDEX CONCURRENTLY` statements for the missing ones), the measured cost of the
queries the TUI runs, and whether push refresh is installed (with the trigger SQL).

It never changes the database: one connection, opened with the store's read-only,
time-limited session settings; plain `EXPLAIN` (no ANALYZE) for plans; the store's own
SELECTs, timed, a few times at most; the row count from `pg_class`, never `count(*)`.

`diagnose` never raises for anything a user can cause: an unreachable server or a missing
table is a failed check in the report, whose `exit_code` is then 2 (as the TUI would exit).

This module runs the checks in the order a person would ask; each group of checks is a
module of its own (`server_checks`, `table_checks`, `partition_checks`, `index_checks`,
`query_cost_checks`, `push_check`), the report and its text in `doctor_report`, the
connection in `doctor_session`.
"""

from __future__ import annotations

import contextlib

from wflog_tui.model.refresh_pacing import DEFAULT_REFRESH_S
from wflog_tui.store.connection import StoreSettings
from wflog_tui.store.doctor_report import DoctorReport, ReportWriter
from wflog_tui.store.doctor_session import DoctorSession, connect_read_only
from wflog_tui.store.dsn import WAYS_TO_A_DATABASE, describe_target, nothing_configured
from wflog_tui.store.error_translation import translate
from wflog_tui.store.filters import RunFilter
from wflog_tui.store.index_checks import check_indexes, check_search_indexes
from wflog_tui.store.notify import NOTIFY_CHANNEL_DEFAULT
from wflog_tui.store.partition_checks import check_partitions
from wflog_tui.store.partitions import read_partitioning
from wflog_tui.store.push_check import check_push
from wflog_tui.store.query_cost_checks import DEFAULT_SAMPLES, check_costs
from wflog_tui.store.server_checks import check_server
from wflog_tui.store.table_checks import check_columns, check_privileges_and_size, check_table


async def diagnose(
    settings: StoreSettings,
    *,
    run_filter: RunFilter | None = None,
    refresh_s: float = DEFAULT_REFRESH_S,
    channel: str = NOTIFY_CHANNEL_DEFAULT,
    samples: int = DEFAULT_SAMPLES,
) -> DoctorReport:
    """Examine the database and table `settings` name; never changes anything.

    `run_filter` and `refresh_s` are what the TUI would run with (its flags), so the
    measured cost is that of the user's own view; `channel` is the push channel looked
    for. Never raises a `StoreError`: failures are checks in the report.
    """
    writer = ReportWriter(
        settings, DoctorReport(target=describe_target(settings.dsn), table=settings.table)
    )
    try:
        conn = await connect_read_only(settings)
    except Exception as exc:
        error = translate(exc, settings.dsn, connecting=True, at_start=True)
        fix = "check --dsn, WFLOG_DSN, DATABASE_URL or the PG* variables"
        if nothing_configured(settings.dsn):
            fix = WAYS_TO_A_DATABASE
        writer.add("connection", False, error.message, fix, blocking=True)
        return writer.report
    try:
        await _run_checks(
            writer,
            DoctorSession(conn, settings),
            run_filter or RunFilter(),
            refresh_s,
            channel,
            max(1, int(samples)),
        )
    finally:
        with contextlib.suppress(Exception):
            await conn.close(timeout=settings.connect_timeout_s)
    return writer.report


async def _run_checks(
    writer: ReportWriter,
    session: DoctorSession,
    run_filter: RunFilter,
    refresh_s: float,
    channel: str,
    samples: int,
) -> None:
    """Every check, in the order a person would ask."""
    try:
        standby = await check_server(writer, session)
        info = await check_table(writer, session)
        if info is None:
            return
        check_columns(writer, info)
        relkind = await check_privileges_and_size(writer, session, info)
        partitioning = None
        if info.partitioned:
            async with session.scope() as conn:
                partitioning = await read_partitioning(conn, info)
            check_partitions(writer, info, partitioning)
        check_indexes(writer, info, relkind, partitioning)
        check_search_indexes(writer, info, relkind, partitioning, run_filter)
        await check_costs(writer, session, info, run_filter, refresh_s, samples)
        await check_push(writer, session, info, channel, standby)
    except Exception as exc:
        # A connection that died midway: report what was learnt, and why it stopped.
        error = translate(exc, writer.settings.dsn)
        writer.add("doctor", False, f"stopped early: {error.message}", blocking=True)
