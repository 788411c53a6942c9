"""A demo started on a reused table ends the runs the last one left in flight."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st_

from tests.database import run_row
from wflog_tui.demo.runner import prepare_demo
from wflog_tui.demo.stale_runs import STEP_TIMEOUT, ended_run
from wflog_tui.demo.table_ddl import TableShape, quote_ident
from wflog_tui.demo.workflows import iso

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _entry(step_id: str, status: str, started: datetime, ended: datetime | None = None) -> dict:
    entry = {"stepId": step_id, "operation": "http", "status": status, "startedAt": iso(started)}
    if ended is not None:
        entry |= {"endedAt": iso(ended), "durationMs": (ended - started).total_seconds() * 1000}
    return entry


async def _rows(dsn: str, shape: TableShape) -> dict[str, asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT run_id, status::text AS status, started_at, ended_at, duration_ms, "
            f"steps_log::text AS steps_log, error FROM {shape.qualified}"
        )
    finally:
        await conn.close()
    return {row["run_id"]: row for row in rows}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def test_a_reused_table_ends_its_stale_runs_as_the_platform_would(table):
    stuck_at = NOW - timedelta(hours=2)
    recent = NOW - timedelta(seconds=10)
    await table.insert(
        run_row(run_id="01DONE"),
        # Not an organisation the demo writes as: a real run sharing the table, untouched.
        run_row(run_id="01REAL", status="RUNNING", ended_at=None, organisation_id="org_real"),
        run_row(
            run_id="01STUCK", status="RUNNING", organisation_id="org_acme",
            started_at=stuck_at, ended_at=None, duration_ms=None,
            steps_log=[_entry("trigger", "COMPLETED", stuck_at, stuck_at),
                       _entry("call_api", "RUNNING", stuck_at + timedelta(seconds=1))],
        ),
        run_row(
            run_id="01FRESH", status="RUNNING", organisation_id="org_globex",
            started_at=recent, ended_at=None, duration_ms=None,
            steps_log=[_entry("trigger", "COMPLETED", recent, recent),
                       _entry("notify", "RUNNING", recent)],
        ),
    )  # fmt: skip
    await table.insert(
        run_row(run_id="01ODD", status="RUNNING", organisation_id="org_hooli",
                started_at=stuck_at, ended_at=None, duration_ms=None, steps_log={"odd": 1})
    )  # fmt: skip
    prepared = await prepare_demo(table.dsn, table.shape, now=NOW)
    assert (prepared.seeded, prepared.kept, prepared.ended) == (0, 5, 3)
    assert prepared.describe() == "history kept: 5 runs; 3 runs left in flight ended"
    rows = await _rows(table.dsn, table.shape)
    assert rows["01DONE"]["status"] == "COMPLETED"
    # A log that is not a list of entries is kept as it was; the run still ends.
    assert rows["01ODD"]["status"] == "TIMED_OUT"
    assert orjson.loads(rows["01ODD"]["steps_log"]) == {"odd": 1}
    assert rows["01REAL"]["status"] == "RUNNING" and rows["01REAL"]["ended_at"] is None

    # Its step ran past the platform's step timeout: TIMED_OUT at that limit.
    stuck = rows["01STUCK"]
    limit = stuck_at + timedelta(seconds=1) + STEP_TIMEOUT
    assert stuck["status"] == "TIMED_OUT"
    assert _utc(stuck["ended_at"]) == limit
    assert stuck["duration_ms"] == round((limit - stuck_at).total_seconds() * 1000)
    assert stuck["error"] == "Step 'call_api' timed out after 30s"
    log = orjson.loads(stuck["steps_log"])
    assert log[0]["status"] == "COMPLETED"
    assert log[1]["status"] == "TIMED_OUT" and log[1]["endedAt"] == iso(limit)
    assert log[1]["durationMs"] == STEP_TIMEOUT.total_seconds() * 1000

    # Still within the timeout when the demo stopped: CANCELED now.
    fresh = rows["01FRESH"]
    assert fresh["status"] == "CANCELED" and _utc(fresh["ended_at"]) == NOW
    assert fresh["duration_ms"] == 10_000
    log = orjson.loads(fresh["steps_log"])
    assert log[1]["status"] == "CANCELED" and log[1]["endedAt"] == iso(NOW)
    assert log[1]["durationMs"] == 10_000


async def test_a_seeded_history_keeps_its_live_runs_until_the_next_start(make_table):
    handle = await make_table()
    shape, dsn = handle.shape, handle.dsn
    first = await prepare_demo(dsn, shape, runs=120, now=NOW)
    assert (first.kept, first.ended) == (0, 0) and first.seeded > 0
    assert first.describe() == f"{first.seeded:,} runs seeded"
    running = [r for r in (await _rows(dsn, shape)).values() if r["status"] == "RUNNING"]
    assert running, "the seeded history has runs in flight"
    later = await prepare_demo(dsn, shape, runs=120, now=NOW + timedelta(days=1))
    assert (later.seeded, later.kept, later.ended) == (0, first.seeded, len(running))
    assert later.describe().startswith(f"history kept: {first.seeded:,} runs")
    for row in (await _rows(dsn, shape)).values():
        assert row["status"] != "RUNNING"
        assert row["ended_at"] is not None and row["duration_ms"] is not None
        assert all(e.get("status") != "RUNNING" for e in orjson.loads(row["steps_log"]))


ENTRY_STATUSES = st_.sampled_from(["COMPLETED", "FAILED", "RUNNING", "running", None, 7])


@given(
    entries=st_.lists(
        st_.tuples(ENTRY_STATUSES, st_.integers(min_value=0, max_value=7200)), max_size=8
    ),
    age_s=st_.integers(min_value=0, max_value=7200),
    malformed=st_.booleans(),
)
def test_an_ended_run_is_consistent_whatever_its_log_holds(entries, age_s, malformed):
    started = NOW - timedelta(seconds=age_s)
    log: list[object] = [
        {"stepId": f"s{i}", "status": status, "startedAt": iso(started + timedelta(seconds=at))}
        for i, (status, at) in enumerate(entries)
    ]
    if malformed:
        log += ["not an entry", {"status": "RUNNING", "startedAt": "yesterday"}]
    row = ended_run("r", started, log, NOW)
    assert row["status"] in ("TIMED_OUT", "CANCELED")
    ended = row["ended_at"]
    assert started <= ended <= NOW and (row["status"] == "CANCELED") == (ended == NOW)
    assert row["duration_ms"] == round((ended - started).total_seconds() * 1000)
    assert "steps_log" not in ended_run("r", started, {"not": "a list"}, NOW)
    for before, after in zip(log, row["steps_log"], strict=True):
        if isinstance(before, dict) and str(before.get("status")).upper() == "RUNNING":
            assert after["status"] == row["status"] and after["endedAt"] == iso(ended)
            assert after["durationMs"] >= 0 and after["error"]["message"]
        else:
            assert after == before


@pytest.fixture
def demo_shape(pg_dsn):
    shape = TableShape(schema=f"t_{uuid.uuid4().hex[:12]}")
    yield shape
    subprocess.run(
        [sys.executable, "-c", _DROP, pg_dsn, quote_ident(shape.schema)], check=True, timeout=60
    )


_DROP = """
import asyncio, sys, asyncpg
async def main():
    conn = await asyncpg.connect(sys.argv[1])
    await conn.execute(f"DROP SCHEMA IF EXISTS {sys.argv[2]} CASCADE")
    await conn.close()
asyncio.run(main())
"""


def _demo_table_line(dsn: str, shape: TableShape) -> str:
    """Start `wflog-tui demo --no-ui` on `dsn`, read its `table:` line, then Ctrl-C it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wflog_tui", "demo", "--no-ui", "--dsn", dsn,
         "--table", f"{shape.schema}.{shape.table}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("table:"):
                return line.strip()
        raise AssertionError(f"no table line; stderr: {process.stderr.read()}")  # type: ignore[union-attr]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_the_demo_says_history_kept_on_a_reused_database(pg_dsn, demo_shape):
    first = _demo_table_line(pg_dsn, demo_shape)
    assert first.endswith("runs seeded)")
    second = _demo_table_line(pg_dsn, demo_shape)
    assert "history kept: " in second and "(0 runs seeded)" not in second
