"""`wflog-tui runs`: the list's runs matching a search, printed for scripts and pasting.

An aligned text table, or JSON objects with the list's columns. Every cell goes through
`one_line`, so nothing read from the database reaches the terminal as a control
sequence; the table is aligned by terminal cells, not characters.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from rich.cells import cell_len

from wflog_tui.cli import UsageError
from wflog_tui.model.display_text import one_line
from wflog_tui.model.durations import format_duration
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.run import RunSummary
from wflog_tui.model.search_query import SearchQuery, SearchSyntaxError, parse_query
from wflog_tui.model.timestamps import is_extreme, iso_text
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.run_listing import MAX_RUNS, fetch_runs

HEADERS: Final = ("STATUS", "WORKFLOW", "RUN ID", "EVENT", "STARTED", "DURATION", "ORG", "ERROR")
# The error is the last column and the only one cut: a table row stays one line.
ERROR_CHARS: Final = 100
CELL_CHARS: Final = 60


def _instant(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as scripts parse it."""
    if value is None or is_extreme(value):
        return iso_text(value)  # "infinity", "12000-01-01 …": what PostgreSQL holds
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


def search_option(text: str | None) -> SearchQuery:
    """`--search` parsed; a `UsageError` naming the column of a mistake, and showing the
    query cut there, before any connection is opened."""
    try:
        return parse_query(text or "")
    except SearchSyntaxError as exc:
        shown = one_line((text or "")[: exc.position], 120) + " ⟵ here"
        raise UsageError(f"--search: {exc}: {shown}") from None


async def print_runs(
    settings: StoreSettings, run_filter: RunFilter, args: argparse.Namespace
) -> int:
    """Parse `--search`, fetch up to `--limit` runs, print them; 0 even when none match."""
    query = search_option(args.search)
    if not 1 <= args.limit <= MAX_RUNS:
        raise UsageError(f"--limit takes 1 to {MAX_RUNS:,}; got {args.limit}")
    store = await open_store(settings)
    try:
        runs = await fetch_runs(store, replace(run_filter, query=query), args.limit)
    finally:
        await store.close()
    if args.json:
        if runs:
            sys.stdout.write(to_json_text([run_object(run) for run in runs], indent=True) + "\n")
    else:
        lines = table_lines(runs)
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 0
