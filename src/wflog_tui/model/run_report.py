"""A run's header and step tree as plain text or JSON: what `wflog-tui show` prints.

Every string from the data goes through `display_text`, so the report can be written to
any terminal, pasted into an incident channel, or piped, with no escape sequence acting.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.display_text import escape_control, one_line
from wflog_tui.model.durations import format_duration, format_instant
from wflog_tui.model.entries import StepEntry
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.loop_status import loop_status
from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_identity import label_parts
from wflog_tui.model.step_tree import (
    EAGER_ATTEMPTS,
    LoopNode,
    NodeKind,
    RetriedNode,
    StepNode,
    StepTree,
    refresh_spans,
)
from wflog_tui.model.timestamps import iso_text

_INDENT = "  "
# A loop that reached more iterations than this lists every iteration's status in JSON,
# but the steps (and payloads) only of its first and last iterations and of up to this
# many others that did not complete; `entriesOmitted` counts the entries left out.
JSON_ITERATIONS_IN_FULL: Final = EAGER_ATTEMPTS
# Completed iterations are what nobody reads during an incident: a run of them is one line.
_COLLAPSED = frozenset({st.COMPLETED, st.NOT_REACHED})


def _field(value: object, limit: int = 200) -> str:
    if value is None:
        return "—"
    return one_line(str(value), limit)


def header_lines(detail: RunDetail, now: datetime) -> list[str]:
    """The run's header: workflow, ids, status, times, event, organisation and error."""
    run = detail.summary
    duration = run.elapsed_ms(now)
    running = " (running)" if run.is_running else ""
    lines = [
        f"Workflow      {_field(run.workflow_name)}",
        f"Run           {_field(run.run_id)}  (id {_field(run.id)})",
        f"Status        {st.glyph(run.status)} {one_line(st.word(run.status), 40)}",
        f"Started       {format_instant(run.started_at, now)}",
        f"Ended         {format_instant(run.ended_at, now)}",
        f"Duration      {format_duration(duration)}{running}",
        f"Event         {_field(run.event_name)}  (id {_field(run.event_id)})",
        f"Organisation  {_field(run.organisation_id)}",
    ]
    if detail.error:
        lines.append(f"Error         {one_line(detail.error, 500)}")
    return lines


def node_line(node: StepNode) -> str:
    """One node as text: status (a loop's as `loop_status` words it), label with the
    stepId where it differs, summary, duration and flags."""
    if isinstance(node, LoopNode):
        parts = [loop_status(node).text]
    else:
        parts = [st.glyph(node.status), one_line(st.word(node.status), 24)]
    parts.append(label_parts(node).text(120))
    summary = node.summary()
    if summary:
        parts.append(f"· {summary}")
    if node.kind is NodeKind.ITERATION and isinstance(node.parent, LoopNode):
        item = node.parent.item(node.iteration or 0)
        if item is not None and not isinstance(item, dict | list):
            parts.append(f"· item {one_line(str(item), 60)}")
    if node.duration_ms is not None:
        parts.append(f"[{format_duration(node.duration_ms)}]")
    if node.unexpected_termination:
        parts.append("!! ended without endedAt (unexpected termination)")
    entry = node.entry
    if entry is not None and entry.error is not None and node.kind is not NodeKind.LOOP:
        message = entry.error.message or entry.error.name or ""
        if message:
            parts.append(f"— {one_line(message, 160)}")
    if node.malformed is not None:
        parts.append(f"— {one_line(node.malformed.reason, 80)}: {_preview(node.malformed.raw)}")
    if entry is not None and entry.problems:
        parts.append(f"(data: {one_line('; '.join(entry.problems), 160)})")
    return " ".join(parts)


def _preview(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else to_json_text(value)
    return one_line(text, limit)


def _iteration_runs(loop: LoopNode) -> Iterator[tuple[int, int, str]]:
    """Consecutive iterations as (first, last, status); runs of folded statuses are merged.

    Walks only the iterations that were reached: a gap between them is one "not reached"
    run, so a loop that claims billions of items costs no more than the ones it logged.
    """
    runs: list[list[Any]] = []

    def add(first: int, last: int, status: str) -> None:
        if runs and runs[-1][2] == status and status in _COLLAPSED and runs[-1][1] == first - 1:
            runs[-1][1] = last
        else:
            runs.append([first, last, status])

    expected = 1
    for number in sorted(loop.iteration_status):
        if number > expected:
            add(expected, number - 1, st.NOT_REACHED)
        add(number, number, loop.iteration_status[number])
        expected = number + 1
    if expected <= loop.iteration_count:
        add(expected, loop.iteration_count, st.NOT_REACHED)
    for first, last, status in runs:
        yield int(first), int(last), str(status)


def _shown_attempts(node: RetriedNode) -> Iterator[tuple[int, int, str, bool]]:
    """A step of very many attempts as (first, last, status, folded): runs of completed
    attempts are folded into one, the first and last attempts are shown, and so is every
    other one up to `EAGER_ATTEMPTS`; the rest are folded with their status."""
    listed = 0
    total = node.attempts
    for first, last, status in node.attempt_runs():
        number = first
        while number <= last:
            wanted = number in (1, total) or (status not in _COLLAPSED and listed < EAGER_ATTEMPTS)
            if wanted:
                listed += 1
                yield number, number, status, False
                number += 1
                continue
            # Up to the end of the run, leaving the last attempt to be shown on its own.
            end = last if last < total else last - 1
            yield number, end, status, True
            number = end + 1


def _attempt_items(node: RetriedNode, level: int) -> list[tuple[StepNode | str, int]]:
    items: list[tuple[StepNode | str, int]] = []
    for first, last, status, folded in _shown_attempts(node):
        if not folded:
            items.append((node.attempt_node(first), level))
            continue
        count = last - first + 1
        span = f"attempt {first:,}" if count == 1 else f"attempts {first:,}–{last:,}"
        line = f"{st.glyph(status)} {one_line(st.word(status), 24).upper()} {span}"
        items.append((line + (f" ({count:,})" if count > 1 else ""), level))
    return items


def _report_items(tree: StepTree, depth: int) -> Iterator[tuple[StepNode | str, int]]:
    """What the report's tree prints, in order: nodes, or ready-made lines for folded runs
    of iterations and attempts, each with its depth."""
    stack: list[tuple[StepNode | str, int]] = [(node, depth) for node in reversed(tree.nodes)]
    while stack:
        item, level = stack.pop()
        yield item, level
        if isinstance(item, str):
            continue
        below: list[tuple[StepNode | str, int]] = []
        if isinstance(item, LoopNode):
            for first, last, status in _iteration_runs(item):
                if status in _COLLAPSED:
                    count = last - first + 1
                    span = (
                        f"iteration {first:,}" if count == 1 else f"iterations {first:,}–{last:,}"
                    )
                    line = f"{st.glyph(status)} {st.word(status).upper()} {span}"
                    below.append((line + (f" ({count:,})" if count > 1 else ""), level + 1))
                else:
                    below.append((item.iteration_node(first), level + 1))
        elif isinstance(item, RetriedNode):
            below.extend(_attempt_items(item, level + 1))
        else:
            below.extend((child, level + 1) for child in item.children)
        stack.extend(reversed(below))


def tree_lines(tree: StepTree, depth: int = 0) -> list[str]:
    """The step tree as indented lines; completed iterations and attempts are folded."""
    return [
        _INDENT * level + (item if isinstance(item, str) else node_line(item))
        for item, level in _report_items(tree, depth)
    ]


def refresh_report(tree: StepTree) -> None:
    """Read the printed nodes' times again, after the entries they show were filled in."""
    for item, _ in _report_items(tree, 0):
        if not isinstance(item, str):
            refresh_spans(item)


def report_entry_indexes(tree: StepTree) -> list[int]:
    """The entries the text report reads that a skeleton left pending, ascending.

    A big log is read as its skeleton; only what the report prints is fetched whole, so
    `show` on a run of 200,000 attempts reads a handful of them, not the 38 MB log.
    """
    entries = tree.entries
    wanted: set[int] = set()
    for item, _ in _report_items(tree, 0):
        if isinstance(item, str):
            continue
        shown = list(item.entries[-1:]) if isinstance(item, RetriedNode) else list(item.entries)
        if isinstance(item, LoopNode):
            shown += [entries[i] for i in item.span_indexes]  # type: ignore[misc]
        wanted.update(e.index for e in shown if isinstance(e, StepEntry))
    return sorted(i for i in wanted if entries.is_pending(i))


def _json_attempts(node: RetriedNode) -> list[tuple[int, StepEntry]]:
    """The attempts (number, entry) the JSON of a step of very many attempts lists: those
    the text report shows on their own line."""
    return [
        (first, node.entries[first - 1])
        for first, _, _, folded in _shown_attempts(node)
        if not folded
    ]


def _listed_iterations(loop: LoopNode) -> list[int]:
    """The iterations whose steps the JSON lists: all of them up to
    `JSON_ITERATIONS_IN_FULL`; beyond, the first, the last and up to that many of those
    that did not complete (in order)."""
    reached = sorted(loop.iteration_status)
    if len(reached) <= JSON_ITERATIONS_IN_FULL:
        return reached
    unusual = [n for n in reached if loop.iteration_status[n] != st.COMPLETED]
    return sorted({reached[0], reached[-1], *unusual[:JSON_ITERATIONS_IN_FULL]})


def _json_nodes(
    nodes: Iterable[StepNode], log: Sequence[object]
) -> Iterator[tuple[StepNode, list[StepEntry]]]:
    """Every node `report_json` describes, with the entries of `log` it reads of it."""
    for node in nodes:
        if isinstance(node, RetriedNode):
            yield node, [entry for _, entry in _json_attempts(node)]
            continue
        entries = [e for e in node.entries if isinstance(e, StepEntry)]
        if isinstance(node, LoopNode):
            # Its duration is read from the first and last entries of its iterations.
            spans = [log[i] for i in node.span_indexes]
            yield node, entries + [e for e in spans if isinstance(e, StepEntry)]
            for number in _listed_iterations(node):
                iteration = node.iteration_node(number)
                yield from _json_nodes(iteration.children, log)
                yield iteration, []
        else:
            yield node, entries
            yield from _json_nodes(node.children, log)


def json_entry_indexes(tree: StepTree) -> list[int]:
    """The entries `report_json` reads that a skeleton left pending, ascending: of a run
    of 200,000 attempts a few, of a loop of 50,000 iterations the listed ones'."""
    wanted = {e.index for _, entries in _json_nodes(tree.nodes, tree.entries) for e in entries}
    return sorted(i for i in wanted if tree.entries.is_pending(i))


def refresh_json(tree: StepTree) -> None:
    """Read the times of the nodes `report_json` describes again, after their entries
    were filled in (an iteration after its steps)."""
    for node, _ in _json_nodes(tree.nodes, tree.entries):
        refresh_spans(node)


def failure_lines(tree: StepTree) -> list[str]:
    """Each failure with the path to it, labels joined by `›`."""
    lines = []
    for failure in tree.failures:
        node = tree.find(failure.keys)
        path = " › ".join(one_line(n.label, 60) for n in node.path) if node else failure.label
        message = f": {failure.message}" if failure.message else ""
        lines.append(f"{st.glyph(failure.status)} #{failure.entry_index} {path}{message}")
    return lines


def report_lines(detail: RunDetail, tree: StepTree, now: datetime) -> list[str]:
    """Everything `show` prints in text mode, line by line."""
    lines = header_lines(detail, now)
    lines.append("")
    lines.append(f"Steps ({len(tree.entries):,} entries)")
    for note in tree.notes:
        lines.append(f"  note: {one_line(note, 200)}")
    lines.extend(tree_lines(tree, 1))
    if tree.failures:
        lines.append("")
        lines.append(f"Failures ({len(tree.failures)})")
        lines.extend(_INDENT + line for line in failure_lines(tree))
    if detail.error_stack:
        lines.append("")
        lines.append("Error stack")
        lines.extend(
            _INDENT + line
            for line in escape_control(detail.error_stack, keep_newlines=True).splitlines()[:60]
        )
    return lines


def _entry_json(entry: StepEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "index": entry.index,
        "stepId": entry.step_id,
        "operation": entry.operation,
        "status": entry.status,
        "startedAt": iso_text(entry.started_at),
        "endedAt": iso_text(entry.ended_at),
        "durationMs": entry.duration_ms,
        "durationDerived": entry.duration_derived,
    }
    if entry.iteration is not None:
        data["iteration"] = entry.iteration
    if entry.error is not None:
        data["error"] = {
            "message": entry.error.message,
            "name": entry.error.name,
            "stack": entry.error.stack,
        }
    if entry.unexpected_termination:
        data["unexpectedTermination"] = True
    if entry.problems:
        data["problems"] = list(entry.problems)
    return data


def _node_json(node: StepNode) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": node.key,
        "kind": node.kind.value,
        "label": node.label,
        "stepId": node.entry.step_id if node.entry is not None else None,
        "status": node.status,
        "durationMs": node.duration_ms,
    }
    if node.kind is NodeKind.MALFORMED and node.malformed is not None:
        data["reason"] = node.malformed.reason
        data["raw"] = node.malformed.raw
    if isinstance(node, RetriedNode):
        # 200,000 polls would be 200,000 objects: the runs, and the attempts they show.
        data["attempts"] = node.attempts
        data["attemptRuns"] = [
            {"first": first, "last": last, "status": status, "count": last - first + 1}
            for first, last, status in node.attempt_runs()
        ]
        data["entries"] = [
            {"attempt": number, **_entry_json(entry)} for number, entry in _json_attempts(node)
        ]
        data["entriesOmitted"] = node.attempts - len(data["entries"])
    elif node.entries:
        data["entries"] = [_entry_json(e) for e in node.entries]
    if isinstance(node, LoopNode):
        data["totalItems"] = node.total
        data["summary"] = node.summary()
        data["rollupStatus"] = node.rollup_status
        data["statusText"] = loop_status(node).text
        data["counts"] = dict(node.counts())
        listed = set(_listed_iterations(node))
        iterations: list[dict[str, Any]] = []
        omitted = 0
        for number in sorted(node.iteration_status):
            row: dict[str, Any] = {"iteration": number, "status": node.iteration_status[number]}
            if number in listed:
                row["steps"] = [_node_json(c) for c in node.iteration_node(number).children]
            else:
                omitted += len(node.member_indexes.get(number, ()))
            iterations.append(row)
        data["iterations"] = iterations
        data["entriesOmitted"] = omitted
    elif node.children:
        data["children"] = [_node_json(c) for c in node.children]
    return data


def report_json(detail: RunDetail, tree: StepTree) -> dict[str, Any]:
    """Everything `show --json` prints: the header, the tree, the failures, the notes."""
    run = detail.summary
    return {
        "run": {
            "id": run.id,
            "runId": run.run_id,
            "workflowName": run.workflow_name,
            "workflowFunctionId": run.workflow_function_id,
            "status": run.status,
            "startedAt": iso_text(run.started_at),
            "endedAt": iso_text(run.ended_at),
            "durationMs": run.duration_ms,
            "eventId": run.event_id,
            "eventName": run.event_name,
            "organisationId": run.organisation_id,
            "error": detail.error,
        },
        "entries": len(tree.entries),
        "notes": list(tree.notes),
        "steps": [_node_json(n) for n in tree.nodes],
        "failures": [
            {
                "entryIndex": f.entry_index,
                "path": list(f.keys),
                "label": f.label,
                "status": f.status,
                "iteration": f.iteration,
                "message": f.message,
            }
            for f in tree.failures
        ],
    }
