"""`wflog-tui runs`: the list's runs matching a search, printed for scripts and pasting."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from wflog_tui.cli import UsageError
from wflog_tui.model.display_text import one_line
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.run_table import run_object, table_lines
from wflog_tui.model.search_query import SearchQuery, SearchSyntaxError, parse_query
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.run_listing import MAX_RUNS, fetch_runs


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
