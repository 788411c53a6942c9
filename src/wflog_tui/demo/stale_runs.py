"""Ending the runs a stopped demo left in flight, as the platform would have ended them.

A demo stopped by `kill -9`, a crash or a power cut cannot mark its live runs CANCELED,
and the seeded history's in-flight runs are only in flight for the session that seeded
them; either way they would stay RUNNING forever, their durations counting. The next demo
ends them when it starts: a run whose current step has been running past the platform's
step timeout TIMED_OUT at that limit, any other CANCELED now, its RUNNING entries ended
with the same status at the same moment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import asyncpg
import orjson

from wflog_tui.demo.row_writer import RowWriter
from wflog_tui.demo.table_ddl import TableShape, quote_ident
from wflog_tui.demo.workflows import ORGS, STEP_TIMEOUT_MS, iso
from wflog_tui.model import status as st

STEP_TIMEOUT: Final = timedelta(milliseconds=STEP_TIMEOUT_MS)
CANCELED_ERROR: Final = "Run canceled: the demo stopped while it ran"
# The columns ending a run changes; the rest of the row stays as the platform wrote it.
_ENDING_COLUMNS: Final = ("status", "ended_at", "duration_ms", "steps_log", "error")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _last_activity(started_at: datetime, entries: list[Any]) -> datetime:
    """When the run last moved: the latest start or end an entry records, else its start."""
    moments = [started_at]
    for entry in entries:
        if isinstance(entry, dict):
            moments += [m for k in ("startedAt", "endedAt") if (m := _instant(entry.get(k)))]
    return max(moments)


def ended_run(
    run_id: str, started_at: datetime, steps_log: object, now: datetime
) -> dict[str, Any]:
    """The columns of a stale RUNNING run once ended (for `RowWriter.update`); its
    `steps_log` only when it is a list, the only shape whose entries can be ended.

    TIMED_OUT at last activity + the step timeout when that moment has passed, else
    CANCELED at `now`; RUNNING entries end with the run's status, moment and an error
    saying why, durations counted from their own start.
    """
    started_at = _utc(started_at)
    entries = list(steps_log) if isinstance(steps_log, list) else []
    deadline = _last_activity(started_at, entries) + STEP_TIMEOUT
    timed_out = deadline <= now
    status, ended_at = (st.TIMED_OUT, deadline) if timed_out else (st.CANCELED, now)
    running_label = None
    log = []
    for entry in entries:
        if isinstance(entry, dict) and st.normalise(entry.get("status")) == st.RUNNING:
            begun = _instant(entry.get("startedAt")) or started_at
            label = entry.get("stepName") or entry.get("name") or entry.get("stepId") or "step"
            running_label = running_label or str(label)
            message = (
                f"Step timed out after {STEP_TIMEOUT_MS // 1000}s" if timed_out else CANCELED_ERROR
            )
            entry = {
                **entry,
                "status": status,
                "endedAt": iso(ended_at),
                "durationMs": max(0, round((ended_at - begun).total_seconds() * 1000)),
                "error": {
                    "message": message,
                    "name": "TimeoutError" if timed_out else "CancellationError",
                },
            }
        log.append(entry)
    if timed_out:
        error = f"Step '{running_label}' timed out after {STEP_TIMEOUT_MS // 1000}s"
        if running_label is None:
            error = f"Run timed out: no step moved for {STEP_TIMEOUT_MS // 1000}s"
    else:
        error = CANCELED_ERROR
    row: dict[str, Any] = {
        "id": run_id,
        "status": status,
        "ended_at": ended_at,
        "duration_ms": max(0, round((ended_at - started_at).total_seconds() * 1000)),
        "error": error,
    }
    if isinstance(steps_log, list):  # anything else is left as it is in the table
        row["steps_log"] = log
    return row


async def end_stale_runs(conn: asyncpg.Connection, shape: TableShape, now: datetime) -> int:
    """End every RUNNING run of the demo's organisations (see the module); return how many.

    `demo --dsn` may share a table with real runs: only the organisations the demo
    writes as are touched (every run, where the shape has no `organisation_id`).
    """
    q = quote_ident
    sql = (
        f"SELECT {q('id')} AS id, {q('started_at')} AS started_at, "
        f"{q('steps_log')}::text AS steps_log FROM {shape.qualified} "
        f"WHERE {q('status')}::text = $1"
    )
    args: list[object] = [st.RUNNING]
    if "organisation_id" not in shape.omit_columns:
        sql += f" AND {q('organisation_id')} = ANY($2::text[])"
        args.append([org.id for org in ORGS])
    rows = await conn.fetch(sql, *args)
    ended = [
        ended_run(row["id"], row["started_at"], _decoded(row["steps_log"]), now) for row in rows
    ]
    writer = RowWriter(shape)
    await writer.update(conn, [r for r in ended if "steps_log" in r], _ENDING_COLUMNS)
    without_log = [c for c in _ENDING_COLUMNS if c != "steps_log"]
    await writer.update(conn, [r for r in ended if "steps_log" not in r], without_log)
    return len(ended)


def _decoded(text: str | None) -> object:
    # A log that is not JSON (a text column holding anything) is left as it is.
    try:
        return orjson.loads(text) if text is not None else None
    except orjson.JSONDecodeError:
        return None
