"""`wflog-tui runs`: the table, the JSON, no match, a bad query, and the scope."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.database import run_row
from wflog_tui.cli import run


async def _in_thread(*argv: str) -> int:
    return await asyncio.to_thread(run, list(argv), {})


async def _runs(table: Any, *argv: str) -> int:
    """`wflog-tui --dsn … --table … runs ARGV` on `table`, in a thread; its exit code."""
    return await _in_thread("--dsn", table.dsn, "--table", table.name, "runs", *argv)


@pytest.fixture
async def invoices(table):
    now = datetime.now(UTC)
    await table.insert(
        run_row(
            run_id="01JPY",
            status="FAILED",
            workflow_name="Sync Invoices",
            started_at=now - timedelta(minutes=3),
            duration_ms=1500,
            error="card declined\x1b[31m",
            input_payload={"invoice": {"currency": "JPY", "amount": 6000}},
        ),
        run_row(
            run_id="01USD",
            workflow_name="同期 Invoices",
            started_at=now - timedelta(minutes=2),
            input_payload={"invoice": {"currency": "USD", "amount": 10}},
        ),
        run_row(
            run_id="01OTHER",
            organisation_id="org_b",
            started_at=now - timedelta(minutes=1),
            input_payload={"invoice": {"currency": "JPY"}},
        ),
        run_row(run_id="01OLD", input_payload={"invoice": {"currency": "JPY"}}),
    )
    return table


async def test_table_is_aligned_and_escaped(invoices, capsys):
    code = await _runs(
        invoices,
        "--search",
        "input.invoice.amount>5 Invoices",
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].split() == [
        "STATUS",
        "WORKFLOW",
        "RUN",
        "ID",
        "EVENT",
        "STARTED",
        "DURATION",
        "ORG",
        "ERROR",
    ]
    assert [line.split()[0] for line in lines[1:]] == ["COMPLETED", "FAILED"]
    # Aligned by terminal cells: the run id column starts at the same cell on each line.
    from rich.cells import cell_len

    starts = {cell_len(line[: line.index("01")]) for line in lines[1:]}
    assert len(starts) == 1 and cell_len(lines[0][: lines[0].index("RUN ID")]) in starts
    assert "1.5 s" in lines[2] and "card declined\\x1b[31m" in lines[2]
    assert "\x1b" not in "".join(lines)


async def test_json_has_the_list_columns_and_scope_applies(invoices, capsys):
    code = await _in_thread(
        "--dsn",
        invoices.dsn,
        "--table",
        invoices.name,
        "--org",
        "org_a",
        "runs",
        "--search",
        "input.invoice.currency=JPY",
        "--json",
    )
    rows = orjson.loads(capsys.readouterr().out)
    assert code == 0
    assert [r["run_id"] for r in rows] == ["01JPY"]
    assert rows[0]["status"] == "FAILED" and rows[0]["duration_ms"] == 1500
    assert rows[0]["started_at"].endswith("Z")
    assert set(rows[0]) >= {"workflow_name", "event_name", "organisation_id", "error"}


async def test_filters_window_and_limit(invoices, capsys):
    assert (
        await _runs(invoices, "--json", "--search", "input.invoice.currency=JPY", "--since", "all")
        == 0
    )
    assert {r["run_id"] for r in orjson.loads(capsys.readouterr().out)} == {
        "01JPY",
        "01OTHER",
        "01OLD",
    }
    assert await _runs(invoices, "--json", "--status", "failed", "--workflow", "Sync Invoices") == 0
    assert [r["run_id"] for r in orjson.loads(capsys.readouterr().out)] == ["01JPY"]
    assert await _runs(invoices, "--json", "--limit", "2") == 0
    assert [r["run_id"] for r in orjson.loads(capsys.readouterr().out)] == ["01OTHER", "01USD"]


async def test_no_match_prints_nothing(invoices, capsys):
    for extra in ((), ("--json",)):
        code = await _runs(
            invoices,
            "--search",
            "input.invoice.currency=EUR",
            *extra,
        )
        captured = capsys.readouterr()
        assert code == 0 and captured.out == "" and captured.err == ""


async def test_bad_query_exits_2_with_the_position(invoices, capsys):
    code = await _runs(
        invoices,
        "--search",
        "status:FAILED input.amount>lots",
    )
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert "compares numbers" in captured.err and "column 28" in captured.err
    assert "status:FAILED input.amount>" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
