"""`wflog-tui doctor`: the report of `store.doctor.diagnose`, printed as text or JSON.

The flags are the TUI's own (window, statuses, workflow, `--refresh`, `--search`), so the
cost measured is that of the reader's own view. The report is printed whole even when a
check failed; a failure that would keep the TUI from starting is then raised as a
`StoreError`, so the command line ends as it would for the TUI: its one line on stderr,
exit 2.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from wflog_tui.model.json_text import to_json_text
from wflog_tui.runs_command import search_option
from wflog_tui.store import RunFilter, StoreError, StoreSettings
from wflog_tui.store.doctor import diagnose


async def print_doctor(
    settings: StoreSettings, run_filter: RunFilter, args: argparse.Namespace
) -> int:
    """Examine the database with the list's filter and `--search`, print the report; 0, or
    a `StoreError` once it is printed when the TUI could not start here."""
    run_filter = replace(run_filter, query=search_option(args.search))
    report = await diagnose(settings, run_filter=run_filter, refresh_s=args.refresh)
    if args.json:
        sys.stdout.write(to_json_text(report.to_json(), indent=True) + "\n")
    else:
        sys.stdout.write(report.render_text().rstrip("\n") + "\n")
    sys.stdout.flush()
    if report.fatal:
        raise StoreError(report.fatal)
    return report.exit_code
