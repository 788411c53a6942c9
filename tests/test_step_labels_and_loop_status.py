"""A step's identity (name and stepId) and a loop's one status, as every view words them."""

from __future__ import annotations

import asyncio

import orjson
from hypothesis import given
from hypothesis import strategies as st_

from tests.database import run_row
from wflog_tui.cli import run
from wflog_tui.model import status as st
from wflog_tui.model.loop_status import loop_status
from wflog_tui.model.step_identity import LabelParts, label_parts
from wflog_tui.model.step_tree import LoopNode, build_tree


def step(step_id, status="COMPLETED", **extra):
    entry = {"status": status, "stepId": step_id, "operation": extra.pop("operation", "http")}
    entry.update(extra)
    return entry


# The issue's loop: recorded COMPLETED, 142 items, one failed iteration, 82 never reached.
LOOP_142 = [
    step("trigger", operation="trigger"),
    step("for_each_row", operation="builtin:loop", stepName="For Each Row",
         output={"totalItems": 142}),
    *(step("import_row", iteration=n, stepName="Import Row") for n in range(1, 60)),
    step("import_row", "FAILED", iteration=60, stepName="Import Row",
         error={"message": "bad row"}),
    step("action_slack_notify", stepName="Notify Sales Channel"),
]  # fmt: skip


def test_a_named_step_shows_its_step_id_and_an_unnamed_one_does_not_repeat_it():
    tree = build_tree(LOOP_142, run_status="FAILED")
    trigger, loop, notify = tree.nodes
    assert label_parts(notify) == LabelParts("Notify Sales Channel", "action_slack_notify")
    assert label_parts(notify).text() == "Notify Sales Channel (action_slack_notify)"
    # An id that reads as the name but for case and separators is not repeated.
    assert label_parts(loop) == LabelParts("For Each Row")
    # No name: the label is the stepId itself, shown once.
    assert label_parts(trigger) == LabelParts("trigger")
    # Iterations are named by number; the id belongs to their steps.
    assert isinstance(loop, LoopNode)
    iteration = loop.iteration_node(60)
    assert label_parts(iteration) == LabelParts("iteration 60")
    assert label_parts(iteration.children[0]) == LabelParts("Import Row")


def test_label_text_escapes_what_the_data_holds():
    tree = build_tree([step("id\x1b[2J", stepName="Name\x07")], run_status="COMPLETED")
    text = label_parts(tree.nodes[0]).text()
    assert "\x1b" not in text and "\x07" not in text
    assert text == "Name\\x07 (id\\x1b[2J)"


def test_the_issues_loop_says_failed_and_what_its_entry_recorded():
    loop = build_tree(LOOP_142, run_status="FAILED").nodes[1]
    assert isinstance(loop, LoopNode)
    status = loop_status(loop)
    assert status.text == (
        "✗ FAILED (1 of 142 iterations failed; the loop entry recorded COMPLETED)"
    )
    assert dict(status.counts) == {st.COMPLETED: 59, st.FAILED: 1, st.NOT_REACHED: 82}


def test_a_loop_that_agrees_with_its_iterations_says_only_its_status():
    log = [step("loop", operation="builtin:loop", output={"totalItems": 2}),
           step("body", iteration=1), step("body", iteration=2)]  # fmt: skip
    assert loop_status(build_tree(log, run_status="COMPLETED").nodes[0]).text == "✓ COMPLETED"


def test_iterations_without_a_loop_entry_say_so():
    log = [step("body", iteration=1), step("body", "TIMED_OUT", iteration=2)]
    loop = build_tree(log, run_status="TIMED_OUT").nodes[0]
    assert isinstance(loop, LoopNode)
    assert loop_status(loop).text == (
        "⏱ TIMED OUT (1 of 2 iterations timed out; no loop entry was logged)"
    )


ITERATION_STATUSES = st_.sampled_from(
    [st.COMPLETED, st.FAILED, st.TIMED_OUT, st.RUNNING, st.CANCELED, "PAUSED", None]
)


@given(
    recorded=st_.sampled_from([st.COMPLETED, st.FAILED, st.RUNNING, st.CANCELED, "WEIRD"]),
    iterations=st_.lists(ITERATION_STATUSES, max_size=30),
    extra_items=st_.integers(min_value=0, max_value=50),
)
def test_the_loop_status_names_the_rolled_up_status_and_its_counts_add_up(
    recorded, iterations, extra_items
):
    total = len(iterations) + extra_items
    log = [step("loop", recorded, operation="builtin:loop", output={"totalItems": total})]
    for number, status in enumerate(iterations, start=1):
        if status is not None:  # None: an iteration that was never reached
            log.append(step("body", status, iteration=number))
    loop = build_tree(log, run_status=st.RUNNING).nodes[0]
    assert isinstance(loop, LoopNode)
    status = loop_status(loop)
    counts = dict(status.counts)
    assert status.status == loop.rollup_status
    assert status.text.startswith(f"{st.glyph(loop.rollup_status)} {st.word(status.status)}")
    assert sum(counts.values()) == status.iterations == total
    assert counts.get(st.NOT_REACHED, 0) == extra_items + iterations.count(None)
    if loop.rollup_status != recorded:
        assert f"the loop entry recorded {st.word(recorded)}" in status.text
    else:
        assert "the loop entry recorded" not in status.text
    matching = counts.get(status.status, 0)
    if matching and status.status != st.COMPLETED:
        assert f"{matching:,} of {total:,} iteration" in status.text


async def test_show_prints_step_ids_and_the_loops_one_status(table, capsys):
    await table.insert(run_row(run_id="01IDS", status="FAILED", steps_log=LOOP_142))
    code = await asyncio.to_thread(
        run, ["--dsn", table.dsn, "--table", table.name, "show", "01IDS"], {}
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Notify Sales Channel (action_slack_notify)" in out
    assert (
        "✗ FAILED (1 of 142 iterations failed; the loop entry recorded COMPLETED) "
        "For Each Row · 142 items" in out
    )
    assert "rolls up to" not in out
    code = await asyncio.to_thread(
        run, ["--dsn", table.dsn, "--table", table.name, "show", "01IDS", "--json"], {}
    )
    data = orjson.loads(capsys.readouterr().out)
    _, loop, notify = data["steps"]
    assert (notify["label"], notify["stepId"]) == ("Notify Sales Channel", "action_slack_notify")
    assert loop["stepId"] == "for_each_row"
    assert loop["statusText"].startswith("✗ FAILED (1 of 142 iterations failed")
    assert loop["status"] == "COMPLETED" and loop["rollupStatus"] == "FAILED"
