"""`wflog-tui report`: the incident report, written to stdout as it is read.

The window's failures are read once (`failure_loading.open_failure_log`, capped at
`MAX_FAILURES`, so memory is bounded whatever the window); then each group's section is
written as soon as its splitters are read, and each top group's newest run is loaded,
compared with its last good run, written and dropped before the next one is loaded. One
statement at a time, every one inside `--org`, and all but the baseline's (looked for up
to 30 days back, as `diff` does) inside the window.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TextIO

from wflog_tui.cli import UsageError
from wflog_tui.model.incident_report import (
    explained_lines,
    group_lines,
    groups_summary,
    header_lines,
)
from wflog_tui.run_markdown_command import entries_to_trace, fill_entries
from wflog_tui.store import RunFilter, StoreSettings, open_store
from wflog_tui.store.failure_loading import group_splitters, load_previous_keys, open_failure_log
from wflog_tui.store.run_comparison import load_comparison

MAX_TOP = 20


def _write(out: TextIO, lines: list[str]) -> None:
    out.write("\n".join(lines) + "\n\n")
    out.flush()


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
        log = await open_failure_log(store, run_filter)
        await load_previous_keys(store, log, run_filter)
        now = datetime.now(UTC)
        groups = log.groups()
        _write(out, header_lines(log.window, filters, now, version=wflog_tui.__version__))
        failures = sum(group.count for group in groups)
        _write(
            out,
            [
                "## Failure groups",
                "",
                *groups_summary(len(groups), failures, truncated=log.truncated),
            ],
        )
        for number, group in enumerate(groups, start=1):
            splitters = await group_splitters(store, run_filter, log.window, group)
            _write(out, group_lines(number, group, splitters, now, scope))
        top = groups[: args.top]
        if top:
            _write(out, ["## The top groups, explained"])
        for number, group in enumerate(top, start=1):
            loaded = await load_comparison(store, group.run_ids[0])
            if loaded is None:  # deleted since the failures were read
                _write(out, [f"### {number}. Its newest run is no longer in the table"])
                continue
            await fill_entries(store, loaded.this, entries_to_trace(loaded.this.tree))
            baseline = loaded.baseline.detail.summary if loaded.baseline is not None else None
            lines = explained_lines(
                number,
                group,
                loaded.this.detail.summary,
                loaded.this.tree,
                (baseline, loaded.reason, loaded.diff),
                scope,
            )
            del loaded
            _write(out, lines)
    finally:
        await store.close()
    return 0
