"""Hypothesis over `steps_log` values as PostgreSQL stores them, through the model and `show`.

`tests/test_model_fuzz.py` feeds Python values to the model. These go through the database
first: written as JSON text into `jsonb` (which rewrites numbers, drops duplicate keys and
reorders them), read back by the store's codecs, then built into a tree and printed by
`wflog-tui show`, text and `--json`. Numbers beyond a double and deep nesting are included,
because that is where the database and the decoders disagree.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from tests.database import run_row
from tests.strategies import json_trees, statuses
from wflog_tui.cli import run
from wflog_tui.model.display_text import escape_control
from wflog_tui.model.run_report import report_lines
from wflog_tui.model.step_tree import build_tree
from wflog_tui.store import RunFilter, StoreSettings, open_store

# PostgreSQL text holds no NUL, and UTF-8 no lone surrogate: nothing else is left out.
texts = s.text(alphabet=s.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
numbers = (
    s.integers(min_value=-(10**30), max_value=10**30)
    | s.integers(min_value=-(10**500), max_value=10**500)
    | s.floats(allow_nan=False, allow_infinity=False)
    | s.decimals(
        allow_nan=False,
        allow_infinity=False,
        min_value=Decimal("-1e400"),
        max_value=Decimal("1e400"),
    )
)
scalars = s.none() | s.booleans() | numbers | texts
json_values = json_trees(scalars, texts)
dates = s.sampled_from(["2024-01-15T12:00:00Z", "2024-02-30T25:61:00Z", "", "yesterday"]) | numbers
step_like = s.fixed_dictionaries(
    {},
    optional={
        "status": statuses | texts | json_values,
        "stepId": s.sampled_from(["a", "b", "loop"]) | json_values,
        "operation": s.sampled_from(["trigger", "builtin:loop", "http"]) | json_values,
        "stepName": texts | json_values,
        "input": json_values,
        "output": json_values
        | s.fixed_dictionaries(
            {"collection": s.lists(json_values, max_size=5) | json_values},
            optional={"totalItems": numbers | json_values},
        ),
        "error": json_values | texts | s.fixed_dictionaries({"message": json_values}),
        "startedAt": dates | json_values,
        "endedAt": dates | json_values,
        "durationMs": numbers | json_values,
        "iteration": s.integers(-2, 12) | numbers | json_values,
        "totalItems": s.integers(-2, 12) | numbers | json_values,
    },
)
steps_logs = s.none() | json_values | s.lists(step_like | json_values, max_size=20)
_ids = itertools.count(1)


def json_text(value) -> str:
    """JSON as an ORM would write it; exact for numbers orjson cannot encode."""
    return json.dumps(value, ensure_ascii=False, cls=_Exact)


class _Exact(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return float(o) if abs(o) < Decimal("1e300") else int(o)
        return super().default(o)


async def _write(table, value) -> str:
    number = next(_ids)
    row = run_row(id=f"fz{number}", run_id=f"01FUZZ{number:06d}", status="FAILED", steps_log=None)
    await table.insert(row)
    if value is not None:
        await table.execute(
            f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb WHERE id = $2",
            json_text(value),
            row["id"],
        )
    return row["run_id"]


def _show(dsn: str, table_name: str, run_id: str, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["--dsn", dsn, "--table", table_name, "show", run_id, *extra], {})
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps_log=steps_logs)
async def test_show_prints_any_stored_steps_log_safely(table, steps_log):
    run_id = await _write(table, steps_log)
    code, out, err = await asyncio.to_thread(_show, table.dsn, table.name, run_id)
    assert code == 0, err
    assert err == ""
    for line in out.splitlines():
        assert escape_control(line) == line, line
    code, out, err = await asyncio.to_thread(_show, table.dsn, table.name, run_id, "--json")
    assert code == 0, err
    assert escape_control(out, keep_newlines=True) == out
    # Valid JSON with exact numbers (orjson would refuse those beyond a double).
    report = json.loads(out)
    assert report["run"]["runId"] == run_id


@pytest.mark.slow
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps_log=steps_logs)
async def test_the_model_builds_any_stored_steps_log(table, store_on, steps_log):
    """What the store hands the model after the round trip never makes the model raise."""
    run_id = await _write(table, steps_log)
    store = await store_on(table)
    detail = await store.fetch_run(run_id)
    assert detail is not None
    tree = build_tree(detail.steps_log, run_status="FAILED", run_ended_at=None)
    items = detail.steps_log if isinstance(detail.steps_log, list) else None
    if items is not None:
        assert len(tree.entries) == len(items)
    for entry in tree.entries:
        keys = tree.keys_of_entry(entry.index)
        assert keys is not None and tree.find(keys) is not None
    for line in report_lines(detail, tree, detail.summary.started_at):
        assert escape_control(line) == line
    # And the tail of the same row, sliced on the server, builds the same number of entries.
    tail = await store.fetch_steps_from(run_id, 0)
    assert tail.total == (len(items) if items is not None else 0)


async def test_a_deeper_value_than_any_decoder_reads_is_shown_as_stored(table, store_on):
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    run_id = await _write(table, None)
    await table.execute(
        f"UPDATE {table.shape.qualified} SET steps_log = $1::text::jsonb WHERE run_id = $2",
        f'[{{"status": "COMPLETED", "stepId": "a", "input": {deep}}}]',
        run_id,
    )
    store = await store_on(table)
    detail = await store.fetch_run(run_id)
    assert detail is not None
    tree = build_tree(detail.steps_log, run_status="FAILED")
    assert tree.notes  # says that steps_log could not be read, rather than raising
    assert await store.fetch_page(RunFilter()) != []
    code, _out, err = await asyncio.to_thread(_show, table.dsn, table.name, run_id)
    assert code == 0, err


@pytest.fixture
async def store_on():
    """One store per table, shared by every hypothesis example of a test; closed afterwards."""
    stores: dict = {}

    async def factory(handle):
        if handle.name not in stores:
            stores[handle.name] = await open_store(StoreSettings(dsn=handle.dsn, table=handle.name))
        return stores[handle.name]

    try:
        yield factory
    finally:
        for store in stores.values():
            await store.close()
