"""A run as Markdown to paste into an incident channel: what `show --format markdown` prints.

Header, the failing step's path, its iteration, error and input, and where each value of
that input came from (data flow, `provenance.trace_input`), then the command line that
reopens the run on that step. Every value from the data goes through `markdown_text`: in
a code span or a fenced block whose backtick run is longer than any in the value, so no
payload can forge a heading, a link, HTML or a list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.durations import format_duration, format_instant
from wflog_tui.model.entries import MISSING, StepEntry
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.markdown_text import code, fenced, plain
from wflog_tui.model.provenance import LeafTrace, trace_input
from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_link import StepLink, command_line, link_run_id, reopen_argv
from wflog_tui.model.step_tree import LoopNode, NodeKind, StepNode, StepTree

INPUT_LIMIT: Final = 4000
"""Characters of the failing step's pretty JSON input the Markdown carries."""
SOURCE_LINES: Final = 12
"""Input leaves listed with their data-flow sources."""


def failing_focus(tree: StepTree) -> tuple[StepNode, StepEntry | None] | None:
    """The run's first failure as a node, and the entry whose error and input describe it
    (for an iteration, its worst step); None when nothing failed."""
    for failure in tree.failures:
        node = tree.find(failure.keys)
        if node is None:
            continue
        if node.entry is not None:
            return node, node.entry
        if node.kind is NodeKind.ITERATION and node.children:
            worst = min(node.children, key=lambda child: st.severity(child.status))
            return worst, worst.entry
        return node, None
    return None


def failing_path(node: StepNode) -> str:
    """The labels from the top of the tree down to `node`, joined by `›` (not escaped)."""
    return " › ".join(n.label for n in node.path)


def step_link(run_id: str, node: StepNode, entry: StepEntry | None, tab: str) -> StepLink:
    """The link that reopens `run_id` (see `step_link.link_run_id`) on `node`'s step, in
    its iteration, on `tab`."""
    step_id = entry.step_id if entry is not None else None
    iteration = node.iteration if step_id is not None else None
    return StepLink(run_id, step_id, iteration, tab)


def traces_of(detail: RunDetail, tree: StepTree, entry: StepEntry) -> list[LeafTrace]:
    """Where each leaf of `entry`'s input came from, as the data-flow tab finds it."""
    loop = tree.loop_of(entry)
    payload = detail.input_payload
    return trace_input(
        entry,
        run_input=MISSING if payload is None else payload,
        trigger=tree.trigger,
        loop=loop.entry if loop is not None else None,
        earlier=tree.earlier_in_scope(entry),
    )


def source_lines(traces: Sequence[LeafTrace], limit: int = SOURCE_LINES) -> list[str]:
    """Each input leaf and its best source, as Markdown list items; sourced leaves first."""
    ordered = sorted(traces, key=lambda t: (not t.sources, t.unresolved_ref is None))
    lines = []
    for trace in ordered[:limit]:
        if trace.sources:
            source = trace.sources[0]
            lines.append(
                f"- {code(trace.path, 200)} ← {code(source.path, 200)} "
                f"({source.match.value}, {source.kind.value.replace('_', ' ')})"
            )
        elif trace.unresolved_ref is not None:
            lines.append(
                f"- {code(trace.path, 200)}: unresolved reference {code(trace.unresolved_ref, 200)}"
            )
        else:
            lines.append(f"- {code(trace.path, 200)}: literal (no earlier value matches)")
    if len(ordered) > limit:
        lines.append(f"- … and {len(ordered) - limit:,} more input values")
    return lines


def header_lines(detail: RunDetail, now: datetime) -> list[str]:
    """The run's identity, status, times, event, organisation and error, as list items."""
    run = detail.summary
    running = " (still running)" if run.is_running else ""
    lines = [
        f"- Status: {st.glyph(run.status)} {plain(st.word(run.status), 40)}",
        f"- Run: {code(run.run_id)} (id {code(run.id)})",
        f"- Started: {format_instant(run.started_at, now)} · duration "
        f"{format_duration(run.elapsed_ms(now))}{running}",
        f"- Event: {code(run.event_name)} (id {code(run.event_id)})",
        f"- Organisation: {code(run.organisation_id)}",
    ]
    if detail.workflow_version_id is not None:
        lines.append(f"- Version: {code(detail.workflow_version_id)}")
    if detail.error:
        lines.append(f"- Run error: {code(detail.error, 500)}")
    return lines


def focus_lines(node: StepNode, entry: StepEntry | None) -> list[str]:
    """The failing step: path, iteration and item, error."""
    lines = [f"- Path: {code(failing_path(node), 400)}"]
    lines.append(f"- Status: {st.glyph(node.status)} {plain(st.word(node.status), 40)}")
    loop = next((n for n in node.path if isinstance(n, LoopNode)), None)
    if node.iteration is not None and loop is not None:
        text = f"- Iteration: {node.iteration:,} of {loop.total:,}"
        item = loop.item(node.iteration)
        if item is not None:
            text += f" · item {code(item if isinstance(item, str) else to_json_text(item), 200)}"
        lines.append(text)
    if entry is not None and entry.error is not None:
        name = f"{code(entry.error.name, 120)}: " if entry.error.name else ""
        lines.append(f"- Error: {name}{code(entry.error.message or '(no message)', 600)}")
    if node.unexpected_termination:
        lines.append("- The step ended without endedAt (unexpected termination)")
    return lines


def input_block(value: Any, limit: int = INPUT_LIMIT) -> list[str]:
    """`value` as pretty JSON in a fenced block, cut to `limit` characters."""
    text = to_json_text(value, indent=True)
    lines = fenced(text[:limit] + ("…" if len(text) > limit else ""), "json")
    if len(text) > limit:
        lines.append(f"(cut to {limit:,} of {len(text):,} characters)")
    return lines


def run_markdown(
    detail: RunDetail, tree: StepTree, now: datetime, scope: Sequence[str] = ()
) -> list[str]:
    """Everything `show --format markdown` prints, line by line.

    `scope` is what the reopening command line carries (`step_link.scope_arguments`).
    """
    run = detail.summary
    status = f"{st.glyph(run.status)} {plain(st.word(run.status), 40)}"
    title = f"## {status}: {plain(run.workflow_name, 120)}"
    lines = [title, "", *header_lines(detail, now)]
    focus = failing_focus(tree)
    if focus is None:
        lines += ["", "No step failed."]
        link = StepLink(link_run_id(run.run_id, run.id))
    else:
        node, entry = focus
        lines += ["", "### Failing step", "", *focus_lines(node, entry)]
        if entry is not None and entry.input is not MISSING:
            lines += ["", "### Input", "", *input_block(entry.input)]
            traces = traces_of(detail, tree, entry)
            if traces:
                lines += ["", "### Where the input came from", "", *source_lines(traces)]
        elif entry is not None:
            lines += ["", "No input was logged for this step."]
        link = step_link(link_run_id(run.run_id, run.id), node, entry, "data-flow")
    lines += ["", "### Reopen", "", *fenced(command_line(reopen_argv(link, scope)), "sh")]
    return lines
