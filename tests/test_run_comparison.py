"""`wflog-tui diff` on a real PostgreSQL: the baseline and why, and what differs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import orjson

from tests.compared_runs import publish_log
from tests.database import BASE_TIME, run_row
from wflog_tui.cli import run
from wflog_tui.model.run_diff import Mark
from wflog_tui.store import StoreSettings, open_store
from wflog_tui.store.codecs import install_codecs
from wflog_tui.store.queries import Queries
from wflog_tui.store.run_comparison import BASELINE_LOOKBACK, load_comparison


async def _diff(table, *args: str) -> int:
    argv = ["--dsn", table.dsn, "--table", table.name, "diff", *args]
    return await asyncio.to_thread(run, argv, {})


async def _json(table, capsys, *args: str) -> dict:
    code = await _diff(table, *args, "--json")
    assert code == 0
    return orjson.loads(capsys.readouterr().out)


def _step(step_id, status="COMPLETED", **fields):
    return {"status": status, "stepId": step_id, "operation": "http", **fields}


async def test_two_identical_runs_print_no_differences(table, capsys):
    log = [_step("a", input={"x": 1}, output={"y": 2})]
    await table.insert(run_row(run_id="GOOD", steps_log=log), run_row(run_id="SAME", steps_log=log))
    assert await _diff(table, "SAME") == 0
    out = capsys.readouterr().out
    assert "Baseline   GOOD: newest COMPLETED run of New Post to Slack before this one" in out
    assert "no differences" in out
    data = await _json(table, capsys, "SAME")
    assert data["baseline_run_id"] == "GOOD" and data["identical"] is True
    assert data["changes"] == [] and data["first_divergence"] is None


async def test_root_cause_two_hops_upstream_and_version_change(table, capsys):
    await table.insert(
        run_row(
            run_id="GOOD",
            workflow_name="Publish Post",
            workflow_version_id="wfv_7",
            steps_log=publish_log("linkedin", failed=False),
        ),
        run_row(
            run_id="BAD",
            status="FAILED",
            workflow_name="Publish Post",
            workflow_version_id="wfv_8",
            steps_log=publish_log("mastodon", failed=True),
        ),
    )
    assert await _diff(table, "BAD") == 0
    out = capsys.readouterr().out
    assert "Version    wfv_7 → wfv_8" in out
    assert (
        'first difference: trigger.output.post.platform "linkedin" → "mastodon", reaching '
        "post_to_network.input.network through format_message.output.network"
    ) in out
    assert "first divergence: format_message — input changed" in out
    assert "  post_to_network  [status changed, input changed, output changed, much slower]" in out
    assert "      duration  10 ms → 400 ms" in out
    data = await _json(table, capsys, "BAD")
    assert data["version_change"] == {"before": "wfv_7", "after": "wfv_8"}
    assert data["first_divergence"] == {
        "step_id": "format_message",
        "iteration": None,
        "attempt": 1,
        "kind": "input",
    }
    assert data["root_causes"] == [
        {
            "path": "trigger.output.post.platform",
            "before": "linkedin",
            "after": "mastodon",
            "reaches": "post_to_network.input.network",
            "through": ["format_message.output.network"],
        }
    ]
    status = [c for c in data["changes"] if c["side"] == "status"]
    assert status == [
        {
            "step_id": "post_to_network",
            "iteration": None,
            "attempt": 1,
            "side": "status",
            "path": "status",
            "before": "COMPLETED",
            "after": "FAILED",
        }
    ]


async def test_added_and_missing_steps(table, capsys):
    await table.insert(
        run_row(run_id="GOOD", steps_log=[_step("a"), _step("old")]),
        run_row(run_id="NEW", steps_log=[_step("a"), _step("new")]),
    )
    data = await _json(table, capsys, "NEW")
    sides = {(c["step_id"], c["before"], c["after"], c.get("absent")) for c in data["changes"]}
    assert sides == {("new", None, "COMPLETED", "before"), ("old", "COMPLETED", None, "after")}
    # Both sit after `a`; the baseline's step comes first, in the baseline's order.
    assert (data["first_divergence"]["step_id"], data["first_divergence"]["kind"]) == (
        "old",
        "missing",
    )
    steps = {s["step_id"]: s["marks"] for s in data["steps"]}
    assert steps == {"new": ["only in this run"], "old": ["only in baseline"]}
    assert await _diff(table, "NEW") == 0
    assert "first divergence: old — only in the baseline run" in capsys.readouterr().out


async def test_an_error_message_that_changed_is_a_difference_ids_aside(table, capsys):
    def log(message: str) -> list:
        error = {"message": message, "name": "SmtpError"}
        return [_step("render"), _step("send", "FAILED", input={"to": "a@x.io"}, error=error)]

    await table.insert(
        # The baseline is the newest COMPLETED run: it failed at `send` and recovered.
        run_row(run_id="GOOD", steps_log=[*log("SMTP timeout after 30012 ms"), _step("retry")]),
        run_row(
            run_id="SAME_FAILURE",
            status="FAILED",
            steps_log=log("SMTP timeout after 29871 ms"),
        ),
        run_row(
            run_id="NEW_FAILURE",
            status="FAILED",
            steps_log=log("mailbox full: ada@example.com"),
        ),
    )
    data = await _json(table, capsys, "SAME_FAILURE", "--against", "GOOD")
    # Only the retry the baseline went on to: the timeouts are one failure, numbers aside.
    assert {c["step_id"]: c["side"] for c in data["changes"]} == {"retry": "status"}
    data = await _json(table, capsys, "NEW_FAILURE", "--against", "GOOD")
    errors = [c for c in data["changes"] if c["side"] == "error"]
    assert errors == [
        {
            "step_id": "send",
            "iteration": None,
            "attempt": 1,
            "side": "error",
            "path": "error.message",
            "before": "SMTP timeout after 30012 ms",
            "after": "mailbox full: ada@example.com",
        }
    ]
    assert {s["step_id"]: s["marks"] for s in data["steps"]}["send"] == ["error changed"]
    assert data["first_divergence"] == {
        "step_id": "send",
        "iteration": None,
        "attempt": 1,
        "kind": "error",
    }
    assert await _diff(table, "NEW_FAILURE", "--against", "GOOD") == 0
    out = capsys.readouterr().out
    assert "first divergence: send — error changed" in out
    assert "  send  [error changed]" in out
    assert (
        '      error.message  "SMTP timeout after 30012 ms" → "mailbox full: ada@example.com"'
        in out
    )


async def test_much_faster_mirrors_much_slower(table, capsys):
    await table.insert(
        run_row(run_id="SLOW", steps_log=[_step("fetch", durationMs=2_000)]),
        run_row(run_id="FAST", steps_log=[_step("fetch", durationMs=40)]),
    )
    data = await _json(table, capsys, "FAST", "--against", "SLOW")
    assert data["steps"] == [
        {"step_id": "fetch", "iteration": None, "attempt": 1, "marks": ["much faster"]}
    ]
    data = await _json(table, capsys, "SLOW", "--against", "FAST")
    assert data["steps"][0]["marks"] == ["much slower"]


async def test_loops_of_different_lengths_and_retries(table, capsys):
    def log(items, retried):
        entries = [
            {
                "status": "COMPLETED",
                "stepId": "loop",
                "operation": "builtin:loop",
                "output": {"collection": items, "totalItems": len(items)},
            }
        ]
        for number, item in enumerate(items, start=1):
            if retried and number == 1:
                entries.append(_step("send", "FAILED", iteration=1, input={"to": item}))
            entries.append(_step("send", iteration=number, input={"to": item}))
        return entries

    await table.insert(
        run_row(run_id="GOOD", steps_log=log(["a@x.io", "b@x.io", "c@x.io"], retried=False)),
        run_row(run_id="NOW", steps_log=log(["a@x.io", "b@x.io"], retried=True)),
    )
    data = await _json(table, capsys, "NOW")
    steps = {(s["step_id"], s["iteration"], s["attempt"]): s["marks"] for s in data["steps"]}
    assert steps[("send", 1, 1)] == ["status changed"]  # the first attempt failed this time
    assert steps[("send", 1, 2)] == ["only in this run"]
    assert steps[("send", 3, 1)] == ["only in baseline"]
    assert ("send", 2, 1) not in steps
    loop_paths = {c["path"] for c in data["changes"] if c["step_id"] == "loop"}
    assert loop_paths == {"output.collection[2]", "output.totalItems"}


async def test_malformed_entries_are_compared(table, capsys):
    await table.insert(
        run_row(run_id="GOOD", steps_log=[_step("a"), "text\x1b[2J", 1]),
        run_row(run_id="NOW", steps_log=[_step("a"), "text\x1b[2J", 2]),
    )
    assert await _diff(table, "NOW") == 0
    out = capsys.readouterr().out
    assert "malformed entry #2  [output changed]" in out
    assert "entry  1 → 2" in out
    assert "\x1b" not in out


async def test_no_baseline_at_all_is_said_and_never_taken_from_another_org(table, capsys):
    await table.insert(
        # Newer, COMPLETED, same workflow, but another organisation: never the baseline.
        run_row(run_id="OTHER_ORG", organisation_id="org_b"),
        # Same organisation and workflow but FAILED, and one more than 30 days earlier.
        run_row(run_id="FAILED_ONE", status="FAILED"),
        run_row(run_id="NOW", status="FAILED", steps_log=[_step("a")]),
    )
    # A good run, but further back than the 30 days the query looks.
    await table.insert(run_row(run_id="TOO_OLD", started_at=BASE_TIME - timedelta(days=31)))
    assert await _diff(table, "NOW") == 0
    out = capsys.readouterr().out
    assert "Baseline   none: no COMPLETED run of New Post to Slack in organisation org_a" in out
    assert "30 days before this one" in out
    data = await _json(table, capsys, "NOW")
    assert data["baseline_run_id"] is None and data["changes"] == []


async def test_the_baseline_is_the_newest_good_run_of_the_same_org_and_workflow(table, capsys):
    await table.insert(
        run_row(run_id="OLDER"),
        run_row(run_id="GOOD"),
        run_row(run_id="OTHER_WF", workflow_id="wf_2"),
        run_row(run_id="OTHER_ORG", organisation_id="org_b"),
        run_row(run_id="NOW", status="FAILED"),
        run_row(run_id="LATER"),
    )
    data = await _json(table, capsys, "NOW")
    assert data["baseline_run_id"] == "GOOD"
    # By workflow name when the run has no workflow_id.
    await table.insert(
        run_row(run_id="NAMED", workflow_id=None, workflow_name="Ad hoc"),
        run_row(run_id="NAMED_NOW", workflow_id=None, workflow_name="Ad hoc"),
    )
    data = await _json(table, capsys, "NAMED_NOW")
    assert data["baseline_run_id"] == "NAMED"
    assert data["baseline_reason"].startswith("newest COMPLETED run of Ad hoc before this one")
    # A run of another organisation scoped out by --org cannot be named as a baseline.
    code = await _diff(table, "--org", "org_a", "NOW", "--against", "OTHER_ORG")
    assert code == 2
    assert "no baseline run with run_id or id OTHER_ORG" in capsys.readouterr().err


async def test_against_picks_the_baseline_and_says_so(table, capsys):
    await table.insert(
        run_row(run_id="FAILED_ONE", status="FAILED", steps_log=[_step("a", input={"n": 1})]),
        run_row(run_id="GOOD", steps_log=[_step("a", input={"n": 2})]),
        run_row(run_id="NOW", steps_log=[_step("a", input={"n": 3})]),
    )
    data = await _json(table, capsys, "NOW", "--against", "FAILED_ONE")
    assert data["baseline_run_id"] == "FAILED_ONE"
    assert data["baseline_reason"].startswith("chosen by hand")
    assert "its status is FAILED" in data["baseline_reason"]
    [change] = data["changes"]
    assert (change["path"], change["before"], change["after"]) == ("input.n", 1, 3)


async def test_unknown_run_exits_2(table, capsys):
    assert await _diff(table, "NOPE") == 2
    assert "no run with run_id or id NOPE" in capsys.readouterr().err


async def test_big_runs_fetch_only_what_differs_and_what_data_flow_needs(table, monkeypatch):
    # Every log counts as big here, so both runs come as skeletons, as 100,000 entries would.
    monkeypatch.setattr("wflog_tui.store.run_loading.SKELETON_OVER_BYTES", 0)

    def log(platform, failed, failing_iteration=None):
        entries = publish_log(platform, failed)
        entries.insert(
            2,
            {
                "status": "COMPLETED",
                "stepId": "loop",
                "operation": "builtin:loop",
                "output": {"totalItems": 40},
            },
        )
        for number in range(1, 41):
            status = "FAILED" if number == failing_iteration else "COMPLETED"
            entries.insert(2 + number, _step("send", status, iteration=number, input={"n": number}))
        return entries

    await table.insert(
        run_row(run_id="GOOD", steps_log=log("linkedin", False)),
        run_row(run_id="BAD", status="FAILED", steps_log=log("mastodon", True, 7)),
    )
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        loaded = await load_comparison(store, "BAD")
    finally:
        await store.close()
    assert loaded is not None and loaded.diff is not None
    this = loaded.this.tree
    # format_message came plain in the skeleton; it was fetched, and the root is found.
    [cause] = loaded.diff.root_causes
    assert cause.path == "trigger.output.post.platform"
    assert cause.through == ("format_message.output.network",)
    # Iterations that completed alike in both runs stayed in the database.
    assert this.entries.is_pending(3) and this.entries.is_pending(40)
    assert loaded.diff.shape_only == 39
    [send] = [d for d in loaded.diff.differences if d.key.step_id == "send"]
    assert send.key.iteration == 7 and Mark.STATUS in send.marks
    alike = loaded.diff.for_entry(3)
    assert alike.by_shape_only and alike.key == ("step", "send", 1, 1)
    assert alike.marks == {Mark.SAME}
    # A run view's open run is compared as it is, not fetched again.
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        again = await load_comparison(store, "BAD", "GOOD", loaded=loaded.this)
    finally:
        await store.close()
    assert again is not None and again.this is loaded.this
    assert again.diff is not None and again.diff.root_causes == loaded.diff.root_causes


async def test_the_baseline_query_is_served_by_an_index_in_order(table):
    await table.insert(*(run_row() for _ in range(20)), run_row(run_id="NOW", status="FAILED"))
    store = await open_store(StoreSettings(dsn=table.dsn, table=table.name))
    try:
        detail = await store.fetch_run("NOW")
        assert detail is not None
        sql, args = Queries(store.info, None).baseline(detail.summary, BASELINE_LOOKBACK)
    finally:
        await store.close()
    assert "LIMIT 1" in sql and '"started_at" >= ' in sql
    conn = await asyncpg.connect(table.dsn)
    await install_codecs(conn)  # the store's parameters are aware instants, as its pool sends
    try:
        # A tiny table is cheapest to scan whole; forbid that to see what the plan can use.
        await conn.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN {sql}", *args))
    finally:
        await conn.close()
    assert "Index" in plan and "Sort" not in plan, plan
