"""Runs as `wflog-tui runs` prints them: an aligned text table, or JSON objects for scripts.

Every cell goes through `one_line`, so nothing read from the database reaches the
terminal as a control sequence; the table is aligned by terminal cells, not characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from rich.cells import cell_len

from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration
from wflog_tui.model.run import RunSummary

HEADERS: Final = ("STATUS", "WORKFLOW", "RUN ID", "EVENT", "STARTED", "DURATION", "ORG", "ERROR")
# The error is the last column and the only one cut: a table row stays one line.
ERROR_CHARS: Final = 100
CELL_CHARS: Final = 60


def _instant(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as scripts parse it."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_object(run: RunSummary) -> dict[str, Any]:
    """One run as a JSON object with the list's columns."""
    return {
        "id": run.id,
        "run_id": run.run_id,
        "status": run.status,
        "workflow_name": run.workflow_name,
        "event_id": run.event_id,
        "event_name": run.event_name,
        "organisation_id": run.organisation_id,
        "started_at": _instant(run.started_at),
        "ended_at": _instant(run.ended_at),
        "duration_ms": run.duration_ms,
        "error": run.error,
    }


def _cells(run: RunSummary) -> tuple[str, ...]:
    texts = (
        run.status,
        run.workflow_name or "",
        run.run_id,
        run.event_name or "",
        _instant(run.started_at) or "",
        format_duration(run.duration_ms) if run.duration_ms is not None else "",
        run.organisation_id or "",
    )
    error = one_line(run.error or "", ERROR_CHARS)
    return (*(one_line(text, CELL_CHARS) for text in texts), error)


def table_lines(runs: Sequence[RunSummary]) -> list[str]:
    """The runs as an aligned table with a header line; no lines for no runs."""
    if not runs:
        return []
    rows = [HEADERS, *(_cells(run) for run in runs)]
    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    lines = []
    for row in rows:
        padded = [
            cell + " " * (width - cell_len(cell))
            for cell, width in zip(row[:-1], widths, strict=True)
        ]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return lines
