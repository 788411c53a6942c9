"""`wflog-tui diff RUN_ID`: a run compared with its baseline, printed as text or JSON.

Choosing the baseline (the newest COMPLETED run of the same workflow and organisation
that started before it, or `--against`) and fetching what differs is
`store.run_comparison.load_comparison`, shared with the diff screen; the words are
`model.diff_report`'s.
"""

from __future__ import annotations

import argparse
import sys

from wflog_tui.cli import UsageError, no_such_run
from wflog_tui.model.diff_report import report_json, report_lines
from wflog_tui.model.json_text import to_json_text
from wflog_tui.store import StoreSettings, open_store
from wflog_tui.store.run_comparison import load_comparison


async def print_diff(settings: StoreSettings, args: argparse.Namespace) -> int:
    """Compare `RUN_ID` with its baseline and print the comparison; 0, or a `UsageError`
    for an empty `--against` or a run that is not there."""
    if args.against is not None and not args.against.strip():
        raise UsageError("--against RUN_ID is empty")
    store = await open_store(settings)
    try:
        loaded = await load_comparison(store, args.run_id, args.against)
    finally:
        await store.close()
    if loaded is None:
        raise no_such_run(args.run_id, settings)
    run = loaded.this.detail.summary
    baseline = loaded.baseline.detail.summary if loaded.baseline is not None else None
    if args.json:
        report = report_json(run, baseline, loaded.reason, loaded.diff)
        sys.stdout.write(to_json_text(report, indent=True) + "\n")
    else:
        sys.stdout.write("\n".join(report_lines(run, baseline, loaded.reason, loaded.diff)) + "\n")
    sys.stdout.flush()
    return 0
