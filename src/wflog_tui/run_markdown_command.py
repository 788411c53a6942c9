"""`wflog-tui show RUN_ID --format markdown`: the run as Markdown for an incident channel."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from wflog_tui.cli import UsageError, no_such_run
from wflog_tui.model.run_markdown import run_markdown
from wflog_tui.store import StoreSettings, load_run, open_store
from wflog_tui.store.incident_report_writing import entries_to_trace, fill_whole_entries


async def print_markdown(settings: StoreSettings, args: argparse.Namespace) -> int:
    """Fetch the run, fill what its trace needs, print its Markdown; exit code."""
    if args.json:
        raise UsageError("--json is --format json; give one of them")
    store = await open_store(settings)
    try:
        loaded = await load_run(store, args.run_id)
        if loaded is not None:
            await fill_whole_entries(store, loaded, entries_to_trace(loaded.tree))
    finally:
        await store.close()
    if loaded is None:
        raise no_such_run(args.run_id, settings)
    resolution = getattr(args, "resolution", None)
    scope = resolution.link_scope if resolution is not None else ()
    lines = run_markdown(loaded.detail, loaded.tree, datetime.now(UTC), scope)
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 0
