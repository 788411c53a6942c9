"""A short Markdown note about a run, to paste into an incident channel.

Everything from the data is escaped by `display_text` and sits inside code spans or a
code block, where chat clients neither format it nor turn `@here` into a mention. A
backtick cannot be escaped inside a code span portably (Slack has no longer fences), so
backticks in values are written as a visible `\\u0060`: in JSON that is the same string,
and in text it says plainly that the data held one. Nothing a value holds can close a span
or a fence, start a heading or a list, or break onto a new line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.clipboard_text import open_run_command
from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration, format_instant
from wflog_tui.model.entries import MISSING, StepEntry
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_tree import LoopNode, NodeKind, StepNode, StepTree

INPUT_LIMIT: Final = 1500
"""Characters of a step's compact JSON input the note carries."""
_TEXT_LIMIT: Final = 300
_BACKTICK_ESCAPE: Final = "\\u0060"


def _code(value: object, limit: int = _TEXT_LIMIT) -> str:
    """`value` as an inline code span that no character of it can break out of."""
    if value is None:
        return "—"
    return "`" + one_line(str(value), limit).replace("`", _BACKTICK_ESCAPE) + "`"


def _json(value: Any) -> str:
    """Compact JSON, unsafe characters escaped, with no backtick left to close a fence."""
    return to_json_text(value).replace("`", _BACKTICK_ESCAPE)


def _focus_node(tree: StepTree, node: StepNode | None) -> StepNode | None:
    """The node the note is about: the one given, or else the run's first failure."""
    if node is not None:
        return node
    for failure in tree.failures:
        found = tree.find(failure.keys)
        if found is not None:
            return found
    return None


def _focus_entry(node: StepNode) -> StepEntry | None:
    """The entry whose error and input describe `node`: for an iteration, its worst step."""
    if node.entry is not None:
        return node.entry
    if node.kind is NodeKind.ITERATION and node.children:
        worst = min(node.children, key=lambda child: st.severity(child.status))
        return worst.entry
    return None


def incident_note(
    detail: RunDetail, tree: StepTree, node: StepNode | None, *, now: datetime | None = None
) -> str:
    """A Markdown note on the run and on `node` (or the run's first failure when None).

    Workflow, run id, status, start and duration, organisation; then the step's path in the
    tree, its iteration and item, its error, and its input as compact JSON cut to
    `INPUT_LIMIT` characters. Every value is escaped; see the module docstring.
    """
    run = detail.summary
    now = now or datetime.now(UTC)
    status = f"{st.glyph(run.status)} {one_line(st.word(run.status), 40)}"
    lines = [
        f"**{status}** · workflow {_code(run.workflow_name)}",
        f"- Run: {_code(run.run_id)} (id {_code(run.id)})",
        f"- Started: {format_instant(run.started_at)} · duration "
        f"{format_duration(run.elapsed_ms(now))}{' (still running)' if run.is_running else ''}",
        f"- Event: {_code(run.event_name)} (id {_code(run.event_id)})",
        f"- Organisation: {_code(run.organisation_id)}",
    ]
    if detail.error:
        lines.append(f"- Run error: {_code(detail.error)}")
    if tree.failures:
        lines.append(f"- Failures in this run: {len(tree.failures):,}")

    # Quoted for a shell, and with no character `_code` would alter: pasted, it runs
    # `wflog-tui` with the run id as one argument, whatever the id holds.
    lines.append(f"- Open it: `{open_run_command(run.run_id, run.id)}`")
    focus = _focus_node(tree, node)
    if focus is not None:
        lines.extend(_step_lines(focus))
    return "\n".join(lines) + "\n"


def _step_lines(node: StepNode) -> list[str]:
    path = " › ".join(one_line(n.label, 80) for n in node.path)
    lines = [
        f"- Step: {_code(path, 400)} — {st.glyph(node.status)} {one_line(st.word(node.status), 40)}"
    ]
    iteration = node.iteration
    loop = next((n for n in node.path if isinstance(n, LoopNode)), None)
    if iteration is not None and loop is not None:
        text = f"- Iteration: {iteration:,} of {loop.total:,}"
        item = loop.item(iteration)
        if item is not None:
            text += f" · item {_code(_json(item) if not isinstance(item, str) else item, 200)}"
        lines.append(text)
    entry = _focus_entry(node)
    if entry is not None and entry.error is not None:
        name = f"{_code(entry.error.name)}: " if entry.error.name else ""
        lines.append(f"- Error: {name}{_code(entry.error.message or '(no message)', 500)}")
    if node.unexpected_termination:
        lines.append("- The step ended without `endedAt` (unexpected termination)")
    if node.malformed is not None:
        lines.append(f"- Malformed entry: {_code(node.malformed.reason)}")
        lines.extend(_block("Entry", node.malformed.raw))
    elif entry is not None:
        if entry.input is MISSING:
            lines.append("- Input: none logged")
        else:
            lines.extend(_block("Input", entry.input))
    return lines


def _block(title: str, value: Any) -> list[str]:
    """`value` as a fenced JSON block, cut to `INPUT_LIMIT` characters."""
    text = _json(value)
    lines = [f"{title}:", "```json"]
    if len(text) > INPUT_LIMIT:
        lines.append(text[:INPUT_LIMIT] + "…")
        lines.append("```")
        lines.append(f"_({title.lower()} cut to {INPUT_LIMIT:,} of {len(text):,} characters)_")
    else:
        lines.append(text)
        lines.append("```")
    return lines
