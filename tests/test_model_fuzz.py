"""Hypothesis: no `steps_log` value, however odd, makes the model or the report raise."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as s

from tests.strategies import statuses, steps_logs
from wflog_tui.model.display_text import escape_control, one_line
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.run import RunDetail, RunSummary
from wflog_tui.model.run_report import report_json, report_lines
from wflog_tui.model.step_tree import LoopNode, build_tree

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _detail(steps_log) -> RunDetail:
    summary = RunSummary(id="c1", run_id="r1", status="FAILED", started_at=NOW)
    return RunDetail(summary=summary, steps_log=steps_log, error="[bold]x\x1b[2J")


@pytest.mark.slow
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(steps_log=steps_logs, run_status=statuses | s.none())
# Found by this test: "²" is a digit to `str.isdigit`, and `int` refused it.
@example(steps_log=[{"status": "RUNNING", "totalItems": "²"}], run_status=None)
@example(steps_log=[{"stepId": "a", "status": "COMPLETED", "iteration": "²"}], run_status=None)
def test_no_steps_log_makes_the_model_raise(steps_log, run_status):
    tree = build_tree(steps_log, run_status=run_status)
    items = steps_log if isinstance(steps_log, list) else ([] if steps_log is None else [1])
    # Nothing is dropped: every element is an entry, and every entry has a node.
    assert len(tree.entries) == len(items)
    for entry in tree.entries:
        keys = tree.keys_of_entry(entry.index)
        assert keys is not None
        node = tree.find(keys)
        assert node is not None
    for failure in tree.failures:
        assert tree.find(failure.keys) is not None
    for node in tree.nodes:
        if isinstance(node, LoopNode):
            node.summary()
            for number in itertools.islice(node.iteration_numbers(), 30):
                iteration = node.iteration_node(number)
                tree.sibling_iteration(iteration, 1)
                tree.sibling_iteration(iteration, -1)


@pytest.mark.slow
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(steps_log=steps_logs)
def test_report_never_raises_and_never_emits_control_characters(steps_log):
    detail = _detail(steps_log)
    tree = build_tree(steps_log, run_status="FAILED")
    for line in report_lines(detail, tree, NOW):
        assert escape_control(line) == line, line
    text = to_json_text(report_json(detail, tree))
    assert escape_control(text, keep_newlines=True) == text
    assert orjson.loads(text)["entries"] == len(tree.entries)


@given(s.text())
def test_escaping_leaves_nothing_a_terminal_acts_on(text):
    safe = one_line(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in safe)
    assert "\u202e" not in safe and "\u200b" not in safe
