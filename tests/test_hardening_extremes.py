"""Timestamps PostgreSQL accepts and Python cannot hold: ±infinity, year 12000, 100 BC.

They are data: every store call, `show` (text and JSON) and `doctor` show them ("∞",
"year 12000") and keep working, and one such row never fails a whole refresh.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hs

from tests.database import EXTREMES, insert_extreme_runs, run_row
from wflog_tui.cli import run
from wflog_tui.model.durations import format_instant, list_time
from wflog_tui.model.timestamps import (
    PG_INFINITY,
    PG_MINUS_INFINITY,
    ExtremeInstant,
    from_pg_micros,
    to_pg_micros,
)
from wflog_tui.store import PageCursor, RunFilter, StoreSettings, load_run, open_store
from wflog_tui.store.codecs import install_codecs

TIMESTAMP_TYPES = [
    pytest.param("timestamp(3)", id="timestamp"),
    pytest.param("timestamptz(3)", id="timestamptz"),
]
# started_at, ended_at of each planted run, as PostgreSQL reads them.


@pytest.fixture(params=TIMESTAMP_TYPES)
async def extreme_table(request, make_table):
    """A table with one ordinary FAILED run, one FAILED run ending at `infinity` a minute
    ago, and one run per extreme of `EXTREMES`."""
    table = await make_table(timestamp_type=request.param)
    await insert_extreme_runs(table, request.param)
    return table


async def test_store_reads_every_extreme_as_data(extreme_table):
    store = await open_store(StoreSettings(dsn=extreme_table.dsn, table=extreme_table.name))
    try:
        everything = RunFilter(since=None)
        page = await store.fetch_page(everything, limit=50)
        by_id = {run.run_id: run for run in page}
        assert set(by_id) == {"R-NORMAL", "R-ENDINF", *EXTREMES}
        assert by_id["R-INF"].started_at.short == "∞"
        assert by_id["R-NEGINF"].started_at.short == "-∞"
        assert by_id["R-Y12000"].started_at.short == "year 12000"
        assert by_id["R-BC"].started_at.short == "year 100 BC"
        assert by_id["R-ENDINF"].ended_at.short == "∞"
        # Newest first, infinity on top and -infinity at the bottom, as PostgreSQL sorts.
        assert [r.run_id for r in page][:2] == ["R-INF", "R-Y12000"]
        assert [r.run_id for r in page][-2:] == ["R-BC", "R-NEGINF"]
        # Keyset paging from an extreme neither repeats nor skips a row.
        seen, cursor = [], None
        while True:
            chunk = await store.fetch_page(everything, before=cursor, limit=1)
            if not chunk:
                break
            seen.append(chunk[0].run_id)
            cursor = PageCursor.after(chunk[0])
        assert seen == [r.run_id for r in page]

        counts = await store.count_by_status(RunFilter(since=timedelta(hours=1)))
        assert counts["FAILED"] == 4  # normal, ended at infinity, started at infinity, 12000
        spark = await store.failures_per_minute(RunFilter(), 60)
        assert sum(spark) >= 2 and spark[-1] >= 1  # an end at infinity counts now
        header = await store.fetch_header(RunFilter(), 60)
        assert header.problems == () and header.counts is not None and header.spark is not None

        for run_id in ("R-INF", "R-Y12000", "R-BC", "R-ENDINF"):
            loaded = await load_run(store, run_id)
            assert loaded is not None and loaded.detail.summary.run_id == run_id
    finally:
        await store.close()


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(run, list(argv), {})


async def test_show_prints_extremes_as_data(extreme_table, capsys):
    base = ("--dsn", extreme_table.dsn, "--table", extreme_table.name, "show")
    assert await _cli(*base, "R-INF") == 0
    out = capsys.readouterr().out
    assert "Started       ∞" in out and "Ended         ∞" in out
    assert await _cli(*base, "R-Y12000") == 0
    assert "12000-01-01 00:00:00 UTC" in capsys.readouterr().out
    assert await _cli(*base, "R-BC") == 0
    assert "0100-01-01 00:00:00 UTC BC" in capsys.readouterr().out
    assert await _cli(*base, "R-ENDINF", "--json") == 0
    data = orjson.loads(capsys.readouterr().out)
    assert data["run"]["endedAt"] == "infinity"
    assert await _cli(*base, "R-NEGINF", "--json") == 0
    assert orjson.loads(capsys.readouterr().out)["run"]["startedAt"] == "-infinity"


async def test_doctor_works_on_a_table_of_extremes(extreme_table, capsys):
    base = ("--dsn", extreme_table.dsn, "--table", extreme_table.name, "--since", "all")
    assert await _cli(*base, "doctor") == 0
    assert "changed nothing" in capsys.readouterr().out
    assert await _cli(*base, "doctor", "--json") == 0
    assert orjson.loads(capsys.readouterr().out)["checks"]


async def test_a_failing_header_part_fails_alone(table):
    # The counts query meets data its SQL cannot handle (the error the sparkline got from
    # an infinite end before): the sparkline, and the rows, still come.
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        now = datetime.now(UTC)
        await table.insert(run_row(status="FAILED", started_at=now, ended_at=now))

        def failing_counts(_run_filter):
            return "SELECT 1 / 0 AS n", []

        store._queries.counts = failing_counts  # type: ignore[method-assign]
        header = await store.fetch_header(RunFilter(), 60)
        assert header.counts is None and header.spark is not None and sum(header.spark) == 1
        assert len(header.problems) == 1 and header.problems[0].startswith("counts: ")
        assert "22012" in header.problems[0]
    finally:
        await store.close()


# PostgreSQL's range: 4713 BC to 294276 AD, plus the two infinities.
_PG_MIN_US = -211_813_488_000_000_000
_PG_MAX_US = 9_214_646_400_000_000_000 - 1
_micros = hs.one_of(
    hs.integers(_PG_MIN_US, _PG_MAX_US),
    hs.sampled_from([PG_INFINITY, PG_MINUS_INFINITY, 0, -63_082_281_600_000_000]),
)


# The last day of 1 BC, just before Python's range: PostgreSQL's `FMYYYY` wrote its year
# as "1", which the shown "0001-12-31 00:00:00 UTC BC" was once compared with.
_LAST_DAY_1_BC = -63_082_281_600_000_000 - 86_400_000_000


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.lists(_micros, min_size=1, max_size=20))
@example([_LAST_DAY_1_BC])
@example([_PG_MIN_US, -63_082_281_600_000_000 - 1, 252_455_616_000_000_000, _PG_MAX_US])
async def test_every_postgres_timestamp_decodes_shows_and_goes_back_exactly(pg_dsn, values):
    conn = await asyncpg.connect(pg_dsn)
    try:
        await install_codecs(conn)
        for micros in values:
            for kind in ("timestamp", "timestamptz"):
                sent = (
                    datetime(2000, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
                    if (-63_082_281_600_000_000 <= micros < 252_455_615_999_999_999)
                    else ExtremeInstant.from_pg_micros(micros)
                )
                value = await conn.fetchval(f"SELECT $1::{kind}", sent)
                assert to_pg_micros(value) == micros
                assert value == from_pg_micros(micros)
                now = datetime.now(UTC)
                shown = format_instant(value, now)
                assert list_time(value, "relative", now)
                assert list_time(value, "local", now)
                if isinstance(value, ExtremeInstant):
                    # PostgreSQL's own words for it, as its text output writes a year:
                    # at least four digits, then "BC" for a year before 1.
                    expected = await conn.fetchval(
                        "SELECT CASE WHEN isfinite($1::timestamptz) THEN to_char($1::timestamptz "
                        "AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"') || CASE WHEN "
                        "extract(year FROM $1::timestamptz AT TIME ZONE 'UTC') < 0 "
                        "THEN ' BC' ELSE '' END END",
                        value,
                    )
                    if expected is None:
                        assert shown in ("∞", "-∞")
                    else:
                        assert shown == expected
    finally:
        await conn.close()


async def test_durations_past_bigint_nan_and_infinity_read_as_unknown(make_table):
    for column_type in ("double precision", "numeric"):
        table = await make_table()
        await table.execute(
            f"ALTER TABLE {table.shape.qualified} ALTER COLUMN duration_ms TYPE {column_type}"
        )
        now = datetime.now(UTC)
        values = ["NaN", "Infinity", "-Infinity", "1e300", "1500.4"]
        await table.insert(
            *(run_row(run_id=f"D{i}", started_at=now, duration_ms=None) for i in range(5))
        )
        for i, value in enumerate(values):
            await table.execute(
                f"UPDATE {table.shape.qualified} SET duration_ms = $1::text::{column_type} "
                "WHERE run_id = $2",
                value,
                f"D{i}",
            )
        store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
        try:
            page = await store.fetch_page(RunFilter(), limit=10)
            durations = {run.run_id: run.duration_ms for run in page}
            assert durations == {"D0": None, "D1": None, "D2": None, "D3": None, "D4": 1500}
        finally:
            await store.close()


async def test_runs_groups_and_diff_print_extremes_as_data(extreme_table, capsys):
    base = ("--dsn", extreme_table.dsn, "--table", extreme_table.name)
    assert await _cli(*base, "runs", "--since", "all", "--json") == 0
    runs = {r["run_id"]: r for r in orjson.loads(capsys.readouterr().out)}
    assert runs["R-INF"]["started_at"] == "infinity"
    assert runs["R-NEGINF"]["ended_at"] == "-infinity"
    assert runs["R-Y12000"]["started_at"].startswith("12000-01-01")
    assert await _cli(*base, "groups", "--since", "all", "--json") == 0
    groups = orjson.loads(capsys.readouterr().out)
    assert sum(g["count"] for g in groups) == 6
    assert groups[0]["last_seen"] == "infinity"  # newest activity first: the end at infinity
    assert await _cli(*base, "diff", "R-INF", "--against", "R-NORMAL") == 0
    assert "earlier" not in capsys.readouterr().out  # no distance from an infinite start
