"""Lone UTF-16 surrogates, which a `json` (not `jsonb`) column stores as written."""

from __future__ import annotations

import asyncio

import orjson

from tests.database import run_row
from wflog_tui.cli import run

# JSON text with the escape `\\ud800`: a `json` column keeps it, Python decodes it to a
# lone surrogate, which no UTF-8 stream can carry.
SURROGATE_LOG = (
    '[{"stepId": "fetch\\ud800", "status": "FAILED", "input": {"k\\udfff": "v\\ud800"},'
    ' "error": {"message": "bad \\udbff"}}]'
)


async def _show(table, *extra: str) -> int:
    argv = ["--dsn", table.dsn, "--table", table.name, "show", "R-SURR", *extra]
    return await asyncio.to_thread(run, argv, {})


async def test_show_prints_lone_surrogates_escaped(make_table, capsys):
    table = await make_table(json_type="json", status_enum=False)
    await table.insert(run_row(run_id="R-SURR", status="FAILED"))
    await table.execute(
        f"UPDATE {table.shape.qualified} SET steps_log = $1::text::json, "
        "input_payload = $2::text::json WHERE run_id = 'R-SURR'",
        SURROGATE_LOG,
        '{"x": "\\ud800"}',
    )
    assert await _show(table) == 0
    out = capsys.readouterr().out
    out.encode("utf-8")
    assert "fetch\\ud800" in out and "bad \\udbff" in out

    assert await _show(table, "--json") == 0
    out = capsys.readouterr().out
    data = orjson.loads(out)  # strict JSON: no surrogate, raw or as an escape, survived
    assert data["failures"][0]["message"] == "bad \\udbff"
    assert "\\\\ud800" in out
    assert data["run"]["runId"] == "R-SURR"
