"""A polling step logged 200,000 times: the skeleton decision counts entries, the tree
stays small, fills stay few, and `show` prints a summary, not every attempt."""

from __future__ import annotations

import asyncio

import pytest

from tests.database import run_row
from wflog_tui.cli import run
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.step_tree import RetriedNode
from wflog_tui.store import StoreSettings, load_run, load_run_to_print, open_store


def polling_log(attempts: int) -> list[dict]:
    """The trigger, `attempts - 1` completed polls of one step, then a failed one."""
    trigger = {"stepId": "t", "operation": "trigger", "status": "COMPLETED", "output": {}}
    polls = [
        {
            "stepId": "poll",
            "stepName": "poll status",
            "operation": "http",
            "status": "COMPLETED",
            "startedAt": "2026-11-26T10:00:00Z",
            "endedAt": "2026-11-26T10:00:01Z",
            "output": {"state": "pending"},
        }
        for _ in range(attempts - 1)
    ]
    failed = {
        "stepId": "poll",
        "stepName": "poll status",
        "status": "FAILED",
        "startedAt": "2026-11-26T11:00:00Z",
        "endedAt": "2026-11-26T11:00:02Z",
        "error": {"message": "gave up"},
    }
    return [trigger, *polls, failed]


@pytest.mark.parametrize("json_type", ["jsonb", "json"])
async def test_a_log_of_many_entries_is_a_skeleton_however_small_it_is_stored(
    make_table, json_type
):
    table = await make_table(json_type=json_type)
    log = polling_log(50)
    await table.insert(run_row(run_id="01POLL", status="FAILED", steps_log=log))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        # Far below the byte threshold, but over the entry count: a skeleton.
        many = await store.fetch_run("01POLL", skeleton_over=10_000_000, skeleton_entries=40)
        assert isinstance(many.steps_log, LogSkeleton) and len(many.steps_log) == 51
        # Each plain entry says what fetching it whole will cost; the rest came whole.
        assert all(many.steps_log.size_of(i) > 100 for i in range(1, 50))
        assert many.steps_log.size_of(0) == 0 and many.steps_log.size_of(50) == 0
        few = await store.fetch_run("01POLL", skeleton_over=10_000_000, skeleton_entries=51)
        assert few.steps_log == log
        # Over the byte threshold already: the count does not matter.
        big = await store.fetch_run("01POLL", skeleton_over=10, skeleton_entries=1000)
        assert isinstance(big.steps_log, LogSkeleton)
    finally:
        await store.close()


async def _in_thread(*argv: str) -> int:
    # `run` starts its own event loop, so it runs in a thread beside the test's loop.
    return await asyncio.to_thread(run, list(argv), {})


@pytest.mark.slow
async def test_a_run_of_200000_attempts_opens_small_fills_little_and_shows_a_summary(table, capsys):
    attempts = 200_000
    await table.insert(run_row(run_id="01POLL", status="FAILED", steps_log=polling_log(attempts)))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        loaded = await load_run(store, "01POLL")
        assert isinstance(loaded.detail.steps_log, LogSkeleton)
        tree = loaded.tree
        node = tree.nodes[1]
        assert isinstance(node, RetriedNode) and node.attempts == attempts
        assert node.summary() == "200,000 attempts" and node.status == "FAILED"
        # Two nodes exist until someone opens the step; then one attempt at a time.
        assert len(list(tree.walk())) == 2
        assert tree.failures[0].keys == ("s1", "s1/a200000")
        assert tree.find(("s1", "s1/a7")).label == "attempt 7"
        parsed = sum(1 for entry in tree.entries.parsed() if entry is not None)
        assert parsed < 10

        calls = store.stats.calls
        printed = await load_run_to_print(store, "01POLL")
        # `show` fetched the attempts it prints in one query, not the log's 200,000.
        assert store.stats.calls - calls == 2
        assert sum(1 for i in range(attempts + 1) if not printed.tree.entries.is_pending(i)) < 10
    finally:
        await store.close()

    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "show", "01POLL")
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert len(lines) < 40
    assert "poll status (poll) · 200,000 attempts" in out
    assert "✓ COMPLETED attempt 1 [1.0 s]" in out  # filled: the skeleton has no times
    assert "COMPLETED attempts 2–199,999 (199,998)" in out
    assert "FAILED attempt 200,000 [2.0 s] — gave up" in out
