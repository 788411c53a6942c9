"""`show --json` and `show --format markdown` on a big log read its skeleton and fetch
whole only the entries they print: tens of thousands of attempts or iterations cost a
handful of entries, not the whole log decoded."""

from __future__ import annotations

import asyncio
import itertools
from unittest.mock import patch

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from tests.database import run_row
from wflog_tui.cli import run
from wflog_tui.model import run_report, step_tree
from wflog_tui.model.log_skeleton import LogSkeleton
from wflog_tui.model.run_report import JSON_ITERATIONS_IN_FULL, report_json
from wflog_tui.model.step_tree import EAGER_ATTEMPTS, build_tree
from wflog_tui.run_markdown_command import entries_to_trace
from wflog_tui.store import StoreSettings, load_run, load_run_to_print, open_store, run_loading
from wflog_tui.store.run_loading import SKELETON_OVER_ENTRIES

ATTEMPTS = SKELETON_OVER_ENTRIES + 5_000
ITERATIONS = SKELETON_OVER_ENTRIES + 5_000
FAILING_ITERATIONS = (7, 20_000)
TRIGGER = {"stepId": "t", "operation": "trigger", "status": "COMPLETED", "output": {}}


def polling_log(attempts: int) -> list[dict]:
    """The trigger, `attempts - 1` completed polls of one step, then a failed one."""
    poll = {
        "stepId": "poll",
        "stepName": "poll status",
        "operation": "http",
        "status": "COMPLETED",
        "startedAt": "2026-11-26T10:00:00Z",
        "endedAt": "2026-11-26T10:00:01Z",
        "output": {"state": "pending"},
    }
    failed = {
        "stepId": "poll",
        "stepName": "poll status",
        "status": "FAILED",
        "startedAt": "2026-11-26T11:00:00Z",
        "endedAt": "2026-11-26T11:00:02Z",
        "error": {"message": "gave up"},
    }
    return [TRIGGER, *([poll] * (attempts - 1)), failed]


def loop_log(iterations: int) -> list[dict]:
    """A loop over `iterations` items, one step each; `FAILING_ITERATIONS` failed."""
    loop = {
        "stepId": "each",
        "stepName": "each customer",
        "operation": "builtin:loop",
        "status": "FAILED",
        "output": {"totalItems": iterations},
    }
    members = []
    for number in range(1, iterations + 1):
        member = {
            "stepId": "send",
            "stepName": "send mail",
            "status": "COMPLETED",
            "iteration": number,
            "startedAt": "2026-11-26T10:00:00Z",
            "endedAt": "2026-11-26T10:00:01Z",
            "output": {"sent": number},
        }
        if number in FAILING_ITERATIONS:
            member = {**member, "status": "FAILED", "error": {"message": f"bounced {number}"}}
        members.append(member)
    return [TRIGGER, loop, *members]


async def _in_thread(*argv: str) -> int:
    # `run` starts its own event loop, so it runs in a thread beside the test's loop.
    return await asyncio.to_thread(run, list(argv), {})


async def test_show_json_of_many_attempts_fetches_only_the_attempts_it_lists(table, capsys):
    await table.insert(run_row(run_id="01POLL", status="FAILED", steps_log=polling_log(ATTEMPTS)))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        calls = store.stats.calls
        loaded = await load_run_to_print(store, "01POLL", as_json=True)
        assert isinstance(loaded.detail.steps_log, LogSkeleton)
        # The skeleton, then one query for the two attempts listed whole.
        assert store.stats.calls - calls == 2
        assert store.stats.last["fetch_entries"].rows == 1  # the failure came whole
        entries = loaded.tree.entries
        assert sum(1 for i in range(len(entries)) if not entries.is_pending(i)) < 10
        assert sum(1 for entry in entries.parsed() if entry is not None) < 10
        report = report_json(loaded.detail, loaded.tree)
    finally:
        await store.close()
    poll = report["steps"][1]
    assert poll["attempts"] == ATTEMPTS
    assert [e["attempt"] for e in poll["entries"]] == [1, ATTEMPTS]
    assert poll["entriesOmitted"] == ATTEMPTS - 2
    # The listed attempts were filled: the skeleton holds no times.
    assert poll["entries"][0]["startedAt"].startswith("2026-11-26T10:00:00")
    assert poll["entries"][1]["error"]["message"] == "gave up"

    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "show", "01POLL", "--json")
    printed = orjson.loads(capsys.readouterr().out)
    assert code == 0
    assert printed["steps"][1]["entries"] == orjson.loads(orjson.dumps(poll["entries"]))
    assert printed["entries"] == ATTEMPTS + 1


async def test_show_json_of_a_huge_loop_lists_every_status_and_the_unusual_steps(table, capsys):
    await table.insert(run_row(run_id="01LOOP", status="FAILED", steps_log=loop_log(ITERATIONS)))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        loaded = await load_run_to_print(store, "01LOOP", as_json=True)
        assert isinstance(loaded.detail.steps_log, LogSkeleton)
        # The first and last iterations' steps came whole (the failures came in the skeleton).
        assert store.stats.last["fetch_entries"].rows == 2
        entries = loaded.tree.entries
        assert sum(1 for i in range(len(entries)) if not entries.is_pending(i)) < 10
    finally:
        await store.close()

    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "show", "01LOOP", "--json")
    printed = orjson.loads(capsys.readouterr().out)
    assert code == 0
    loop = printed["steps"][1]
    assert ITERATIONS > JSON_ITERATIONS_IN_FULL
    # Every iteration's status, from the skeleton's facts …
    assert [row["iteration"] for row in loop["iterations"]] == list(range(1, ITERATIONS + 1))
    assert {row["iteration"] for row in loop["iterations"] if row["status"] == "FAILED"} == set(
        FAILING_ITERATIONS
    )
    # … and the steps of the first, the failing and the last, filled.
    listed = {row["iteration"]: row["steps"] for row in loop["iterations"] if "steps" in row}
    assert sorted(listed) == [1, *FAILING_ITERATIONS, ITERATIONS]
    assert loop["entriesOmitted"] == ITERATIONS - 4
    assert listed[1][0]["entries"][0]["startedAt"].startswith("2026-11-26T10:00:00")
    assert listed[7][0]["entries"][0]["error"]["message"] == "bounced 7"
    assert loop["durationMs"] == 1000.0  # its span, read from the filled first and last


async def test_show_json_of_a_small_loop_lists_every_iteration_in_full(table, capsys):
    await table.insert(run_row(run_id="01SMALL", status="FAILED", steps_log=loop_log(30)))
    code = await _in_thread("--dsn", table.dsn, "--table", table.name, "show", "01SMALL", "--json")
    loop = orjson.loads(capsys.readouterr().out)["steps"][1]
    assert code == 0
    assert all(len(row["steps"]) == 1 for row in loop["iterations"])
    assert len(loop["iterations"]) == 30 and loop["entriesOmitted"] == 0


async def test_markdown_of_many_attempts_traces_from_a_bounded_set_of_entries(table, capsys):
    await table.insert(run_row(run_id="01POLL", status="FAILED", steps_log=polling_log(ATTEMPTS)))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        loaded = await load_run(store, "01POLL")
    finally:
        await store.close()
    assert isinstance(loaded.detail.steps_log, LogSkeleton)
    # The attempts just before the failure, not the 25,000 before them.
    wanted = entries_to_trace(loaded.tree)
    assert 0 < len(wanted) <= EAGER_ATTEMPTS
    assert max(wanted) == ATTEMPTS - 1

    argv = ("--dsn", table.dsn, "--table", table.name, "show", "01POLL", "--format", "markdown")
    code = await _in_thread(*argv)
    out = capsys.readouterr().out
    assert code == 0
    assert "gave up" in out and "poll status" in out


def _timed(entry: dict, second: int) -> dict:
    return {
        **entry,
        "startedAt": f"2026-11-26T10:{second // 60:02d}:{second % 60:02d}Z",
        "endedAt": f"2026-11-26T10:{second // 60:02d}:{second % 60:02d}.500Z",
        "output": {"at": second},
    }


_member = hs.fixed_dictionaries(
    {
        "stepId": hs.sampled_from(["poll", "poll", "send"]),
        "status": hs.sampled_from(["COMPLETED", "COMPLETED", "COMPLETED", "FAILED"]),
        "iteration": hs.integers(min_value=1, max_value=6),
    }
)
_top = hs.fixed_dictionaries(
    {"stepId": hs.sampled_from(["check", "check", "notify"]), "status": hs.just("COMPLETED")}
)
_runs = itertools.count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=hs.lists(_top, max_size=6),
    members=hs.lists(_member, max_size=25),
    after=hs.lists(_top, max_size=6),
)
async def test_json_from_a_skeleton_equals_the_json_of_the_whole_log(table, before, members, after):
    loop = {"stepId": "each", "operation": "builtin:loop", "status": "COMPLETED"}
    loop["output"] = {"totalItems": 6}
    parts = [TRIGGER, *before, loop, *members, *after]
    log = [TRIGGER, *(_timed(entry, second) for second, entry in enumerate(parts[1:], 1))]
    run_id = f"01PROP{next(_runs)}"
    await table.insert(run_row(run_id=run_id, status="FAILED", steps_log=log))
    # Small limits, so that a few entries page their attempts and omit iterations.
    with (
        patch.object(step_tree, "EAGER_ATTEMPTS", 2),
        patch.object(run_report, "EAGER_ATTEMPTS", 2),
        patch.object(run_report, "JSON_ITERATIONS_IN_FULL", 1),
        patch.object(run_loading, "SKELETON_OVER_ENTRIES", 0),
    ):
        store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
        try:
            loaded = await load_run_to_print(store, run_id, as_json=True)
            whole = await store.fetch_run(run_id)
        finally:
            await store.close()
        assert isinstance(loaded.detail.steps_log, LogSkeleton)
        assert whole.steps_log == log
        summary = whole.summary
        tree = build_tree(log, run_status=summary.status, run_ended_at=summary.ended_at)
        # What was fetched is all the JSON reads: it is the same as from the whole log.
        assert report_json(loaded.detail, loaded.tree)["steps"] == report_json(whole, tree)["steps"]
