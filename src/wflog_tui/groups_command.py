"""`wflog-tui groups`: what is failing in the window, grouped, printed as text or JSON.

The grouping and the splitters are the groups screen's own
(`store.failure_loading.groups_with_splitters`); this reads the window from the flags and
prints `model.groups_report`'s text or JSON.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from wflog_tui.model.groups_report import report_json, report_lines
from wflog_tui.model.json_text import to_json_text
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.failure_loading import groups_with_splitters


async def print_groups(settings: StoreSettings, args: argparse.Namespace) -> int:
    """The failure groups of `--since`, `--org` and `--workflow`, with their splitters,
    printed; 0 even when nothing fails."""
    run_filter = RunFilter(workflow=args.workflow, organisation=args.org, since=args.since)
    async with await open_store(settings) as store:
        log, groups = await groups_with_splitters(store, run_filter)
    if args.json:
        sys.stdout.write(to_json_text(report_json(groups), indent=True) + "\n")
    else:
        lines = report_lines(groups, log.window, datetime.now(UTC), truncated=log.truncated)
        sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    return 0
