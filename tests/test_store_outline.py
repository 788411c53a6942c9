"""Big logs come as an outline; the payloads of the entries someone opens come after."""

from __future__ import annotations

import pytest

from tests.database import run_row
from wflog_tui.model.entries import OUTLINE_MARK, StepEntry, parse_entry
from wflog_tui.model.step_tree import build_tree
from wflog_tui.store import StoreSettings, open_store

LOG = [
    {"stepId": "t", "operation": "trigger", "status": "COMPLETED", "output": {"user": "ann"}},
    {
        "stepId": "each",
        "operation": "builtin:loop",
        "status": "COMPLETED",
        "output": {"collection": ["a", "b"], "totalItems": 2},
    },
    {
        "stepId": "send",
        "operation": "email",
        "status": "COMPLETED",
        "iteration": 1,
        "input": {"to": "a"},
        "output": {"id": 1},
    },
    {
        "stepId": "send",
        "operation": "email",
        "status": "FAILED",
        "iteration": 2,
        "input": {"to": "b"},
        "error": {"message": "bounced"},
    },
    "not a step",
]


@pytest.mark.parametrize("json_type", ["jsonb", "json"])
async def test_outline_leaves_payloads_behind_and_fetch_entries_brings_them(make_table, json_type):
    table = await make_table(json_type=json_type)
    await table.insert(run_row(run_id="01BIG", status="FAILED", steps_log=LOG))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        detail = await store.fetch_run("01BIG", outline_over=10)
        outline = detail.steps_log
        assert len(outline) == len(LOG)
        # Trigger and loop come whole: data flow starts from them.
        assert outline[0] == LOG[0] and outline[1] == LOG[1]
        assert outline[2] == {k: v for k, v in LOG[2].items() if k not in ("input", "output")} | {
            OUTLINE_MARK: True
        }
        assert outline[3]["error"] == {"message": "bounced"}
        assert outline[4] == "not a step"

        tree = build_tree(outline, run_status="FAILED")
        failed = tree.entries[3]
        assert isinstance(failed, StepEntry) and failed.payload_pending
        assert OUTLINE_MARK not in failed.raw
        assert tree.failures[0].message == "bounced"

        whole = await store.fetch_entries("01BIG", [3, 2, 99])
        assert whole == {2: LOG[2], 3: LOG[3]}
        failed.load_full(whole[3])
        assert not failed.payload_pending and failed.input == {"to": "b"}

        small = await store.fetch_run("01BIG", outline_over=10_000_000)
        assert small.steps_log == LOG
    finally:
        await store.close()


async def test_outline_of_a_non_array_is_the_value_itself(table):
    await table.insert(run_row(run_id="01OBJ", steps_log={"not": "an array"}))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        detail = await store.fetch_run("01OBJ", outline_over=1)
        assert detail.steps_log == {"not": "an array"}
        assert await store.fetch_entries("01OBJ", [0]) == {}
    finally:
        await store.close()


async def test_fetch_entries_respects_the_organisation_scope(table):
    await table.insert(run_row(run_id="01OTHER", organisation_id="org_b", steps_log=LOG))
    store = await open_store(
        StoreSettings(dsn=table.dsn, table=table.name, organisation_scope="org_a")
    )
    try:
        assert await store.fetch_entries("01OTHER", [2]) == {}
    finally:
        await store.close()


def test_an_entry_parsed_from_a_step_with_the_mark_but_not_true_is_not_pending():
    entry = parse_entry(0, {"stepId": "x", OUTLINE_MARK: "yes"})
    assert isinstance(entry, StepEntry) and not entry.payload_pending
