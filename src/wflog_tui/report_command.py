"""`wflog-tui report`: the incident report, written to stdout as it is read.

The writing itself is `store.incident_report_writing.stream_incident_report`, shared with
the app's "Write incident report"; this opens the store, names the filters and the scope
its links carry, and turns a bad `--top` into a usage error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from wflog_tui.cli import UsageError
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.incident_report_writing import MAX_TOP, stream_incident_report


def _window_text(args: argparse.Namespace) -> str:
    from wflog_tui.configuration import window_text

    return "all" if args.since is None else window_text(args.since)


async def write_report(
    settings: StoreSettings, args: argparse.Namespace, out: TextIO | None = None
) -> int:
    """Write the report for `--since`, `--org` and `--workflow` to `out` (default: stdout);
    the exit code."""
    import wflog_tui

    out = out if out is not None else sys.stdout
    if not 0 <= args.top <= MAX_TOP:
        raise UsageError(f"--top takes 0 to {MAX_TOP}; got {args.top}")
    run_filter = RunFilter(workflow=args.workflow, organisation=args.org, since=args.since)
    resolution = getattr(args, "resolution", None)
    scope = resolution.link_scope if resolution is not None else ()
    filters = [
        ("Since", _window_text(args)),
        ("Organisation (--org)", args.org),
        ("Workflow (--workflow)", args.workflow),
        ("Table", settings.table),
    ]
    if resolution is not None and resolution.profile is not None:
        filters.append(("Profile", resolution.profile))
    store = await open_store(settings)
    try:
        await stream_incident_report(
            store,
            run_filter,
            out,
            top=args.top,
            scope=scope,
            filters=filters,
            version=wflog_tui.__version__,
        )
    finally:
        await store.close()
    return 0
