"""`doctor` on payload searches: the GIN statements it suggests work, and the compiled
`=` terms (and exact step terms) are then answered by those indexes."""

from __future__ import annotations

import asyncio

import asyncpg
import orjson
import pytest

from tests.database import run_row
from wflog_tui.cli import run
from wflog_tui.model.search_query import parse_query
from wflog_tui.store import RunFilter, StoreSettings, introspect
from wflog_tui.store.doctor import diagnose
from wflog_tui.store.queries import Queries
from wflog_tui.store.search_indexes import containment_columns, gin_index_sql, search_index_hint


def test_which_terms_use_containment() -> None:
    assert containment_columns(parse_query("input.a=1 output.b~x")) == {"input_payload"}
    assert containment_columns(parse_query("input.items.0=x -output.a=1 input~x")) == set()
    assert containment_columns(parse_query("step:(charge_card error~quota)")) == {"steps_log"}
    assert containment_columns(parse_query("step.error~quota input.a>1")) == set()
    assert containment_columns(None) == set()


async def _plan(dsn: str, table_name: str, query: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        info = await introspect(conn, table_name)
        sql, args = Queries(info, None).page(RunFilter(query=parse_query(query)), None, 100)
        # A one-row table: make every plan but the GIN bitmap scan look dear.
        await conn.execute("SET enable_seqscan = off; SET enable_indexscan = off")
        rows = await conn.fetch(f"EXPLAIN (FORMAT TEXT) {sql}", *args)
        return "\n".join(r[0] for r in rows)
    finally:
        await conn.close()


@pytest.mark.parametrize("json_type", ["jsonb", "json"])
async def test_suggested_gin_indexes_work_and_serve_equality(make_table, json_type: str):
    table = await make_table(json_type=json_type)
    await table.insert(
        run_row(input_payload={"invoice": {"currency": "JPY"}}, steps_log=[{"stepId": "a"}])
    )
    settings = StoreSettings(dsn=table.dsn, table=table.name)
    searching = RunFilter(query=parse_query("input.invoice.currency=JPY step:a"))
    report = await diagnose(settings, run_filter=searching)
    needed = report.check("search index: input_payload")
    assert needed is not None and needed.ok is False
    assert "@> containment" in needed.detail and "--search given" in needed.detail
    target = '"input_payload"' if json_type == "jsonb" else '("input_payload"::jsonb)'
    assert f"USING gin ({target} jsonb_path_ops)" in needed.fix
    assert report.check("search index: steps_log").ok is False
    suggestion = report.check("search index: output_payload")
    assert suggestion.ok is None and "CREATE INDEX CONCURRENTLY" in suggestion.fix
    assert report.exit_code == 0

    for column in ("input_payload", "steps_log"):
        await table.execute(report.check(f"search index: {column}").fix)
    again = await diagnose(settings, run_filter=searching)
    assert again.check("search index: input_payload").ok is True
    assert again.check("search index: steps_log").ok is True
    assert "input_payload_gin" in await _plan(table.dsn, table.name, "input.invoice.currency=JPY")
    assert "steps_log_gin" in await _plan(table.dsn, table.name, "step:(a status:COMPLETED)")


async def test_doctor_search_flag(table, capsys):
    base = ["--dsn", table.dsn, "--table", table.name, "doctor", "--json"]
    code = await asyncio.to_thread(run, [*base, "--search", "step.input.currency=JPY"], {})
    checks = {c["name"]: c for c in orjson.loads(capsys.readouterr().out)["checks"]}
    assert code == 0
    assert checks["search index: steps_log"]["status"] == "warn"
    assert checks["search index: input_payload"]["status"] == "info"
    code = await asyncio.to_thread(run, [*base, "--search", "step:("], {})
    assert code == 2 and "never closed" in capsys.readouterr().err


async def test_hint_for_a_slow_search(make_table):
    table = await make_table()
    conn = await asyncpg.connect(table.dsn)
    try:
        info = await introspect(conn, table.name)
        assert search_index_hint(info, parse_query("status:FAILED Sync")) is None
        assert "no GIN index on input_payload" in search_index_hint(info, parse_query("input.a=1"))
        assert "steps_log terms" in search_index_hint(info, parse_query("step.error~quota"))
        await conn.execute(gin_index_sql(info, "input_payload"))
        info = await introspect(conn, table.name)
        assert search_index_hint(info, parse_query("input.a=1 status:FAILED")) is None
        assert "input_payload terms" in search_index_hint(info, parse_query("input.a~x"))
    finally:
        await conn.close()
