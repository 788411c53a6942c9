"""Searching inside one run on the server: every field, a big log opened as a skeleton,
the bound, the scope, and hostile text as plain data."""

from __future__ import annotations

import pytest

from tests.database import run_row
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.store import SKELETON_OVER_BYTES, StoreSettings, open_store

ENTRIES = 30_000
NEEDLE_AT = 23_456


def _entry(i: int) -> dict:
    return {
        "stepId": "send_email",
        "stepName": "Send e-mail",
        "operation": "email",
        "status": "COMPLETED",
        "iteration": i,
        "input": {"to": f"user{i}@example.com"},
        "output": {"id": f"msg_{i}"},
    }


@pytest.fixture
async def big_run(table):
    log = [_entry(i) for i in range(ENTRIES)]
    log[NEEDLE_AT]["input"]["note"] = "customer ACME-42 % of 100_000 'quoted' \\ $1"
    log[7] = {"stepId": "charge_card", "status": "FAILED", "error": {"message": "Quota hit"}}
    log[9] = {"stepId": "legacy", "status": "FAILED", "error": "plain string quota"}
    await table.insert(
        run_row(run_id="01BIG", organisation_id="org_a", steps_log=log),
        run_row(run_id="01OTHER", organisation_id="org_b", steps_log=log[:20]),
    )
    return table


async def test_finds_entries_over_the_whole_big_log(big_run):
    async with await open_store(StoreSettings(dsn=big_run.dsn, table=big_run.name)) as store:
        detail = await store.fetch_run("01BIG", skeleton_over=SKELETON_OVER_BYTES)
        assert detail is not None and isinstance(detail.steps_log, LogSkeleton)
        assert await store.find_in_steps("01BIG", "acme-42") == [NEEDLE_AT]
        entry = (await store.fetch_entries("01BIG", [NEEDLE_AT]))[NEEDLE_AT]
        assert "ACME-42" in entry["input"]["note"]
        assert await store.find_in_steps("01BIG", "charge_card") == [7]  # step id
        assert await store.find_in_steps("01BIG", "QUOTA") == [7, 9]  # error messages
        assert await store.find_in_steps("01BIG", "msg_29999") == [ENTRIES - 1]  # output
        assert await store.find_in_steps("01BIG", "user12345@") == [12345]  # input
        assert await store.find_in_steps("01BIG", "e-mail", limit=3) == [0, 1, 2]  # name
        assert await store.find_in_steps("01BIG", "nothing like it") == []
        assert await store.find_in_steps("01BIG", "   ") == []
        assert await store.find_in_steps("01MISSING", "quota") == []


async def test_search_text_is_plain_data(big_run):
    async with await open_store(StoreSettings(dsn=big_run.dsn, table=big_run.name)) as store:
        for text in ("% of 100_000", "'quoted' \\ $1", "100_000"):
            assert await store.find_in_steps("01BIG", text) == [NEEDLE_AT], text
        for text in ("%", "_0_", "\\", "' OR 1=1 --", "$.**", "\x00"):
            assert NEEDLE_AT not in await store.find_in_steps("01BIG", text + "zz"), text


async def test_scope_applies(big_run):
    settings = StoreSettings(dsn=big_run.dsn, table=big_run.name, organisation_scope="org_a")
    async with await open_store(settings) as store:
        assert await store.find_in_steps("01OTHER", "quota") == []
        assert await store.find_in_steps("01BIG", "quota") == [7, 9]


@pytest.mark.parametrize(("json_type", "expected"), [("json", [1]), ("text", [])])
async def test_json_and_text_columns(make_table, json_type: str, expected: list[int]):
    table = await make_table(json_type=json_type)
    log = [{"stepId": "a", "status": "COMPLETED"}, {"stepId": "b", "input": {"q": 'say "hi"'}}]
    await table.insert(run_row(run_id="01SMALL", steps_log=log))
    async with await open_store(StoreSettings(dsn=table.dsn, table=table.name)) as store:
        # A text column is no JSON to the store: nothing is searched, nothing fails.
        assert await store.find_in_steps("01SMALL", 'say "HI"') == expected
