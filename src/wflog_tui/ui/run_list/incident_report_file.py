""" "Write incident report" in the run list: the Markdown report of the list's window and
filters, written to a file named after the moment, in the current directory.

The report is `store.incident_report_writing`'s, the same as `wflog-tui report`; its
queries take the list's query lock, so it never runs beside a refresh.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import wflog_tui
from wflog_tui.model.display_text import one_line
from wflog_tui.store import RunFilter, StoreError
from wflog_tui.ui.app import wflog_app
from wflog_tui.ui.run_list.lines import window_label

if TYPE_CHECKING:
    from wflog_tui.ui.run_list.screen import RunListScreen

# As many groups explained with their newest run as `wflog-tui report` explains by default.
TOP_GROUPS = 3


def report_path(now: datetime, directory: Path) -> Path:
    """`directory/wflog-incident-20261130T011502Z.md`: named after the UTC instant, so
    reports of one incident sort in the order they were written."""
    return directory / f"wflog-incident-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.md"


def report_filter(run_filter: RunFilter) -> RunFilter:
    """What the report reads of the list's filter: its window, organisation and workflow
    (the report is about failures, so the status filter and search do not apply)."""
    return RunFilter(
        workflow=run_filter.workflow,
        organisation=run_filter.organisation,
        since=run_filter.since,
    )


async def write_report_file(screen: RunListScreen) -> Path | None:
    """Write the report of `screen`'s (the run list's) filter to a new file (mode 0600)
    and say where; None, saying why, when it could not be written. Never overwrites a
    file."""
    # Imported on the first report: the report's modules are not needed to paint the list.
    from wflog_tui.store.incident_report_writing import stream_incident_report

    app = wflog_app(screen)
    config = app.config
    run_filter = report_filter(screen.run_filter)
    path = report_path(datetime.now(UTC), Path.cwd())
    filters = [
        ("Since", window_label(run_filter.since)),
        ("Organisation", run_filter.organisation),
        ("Workflow", run_filter.workflow),
        ("Table", app.store.settings.table),
    ]
    if config.profile is not None:
        filters.append(("Profile", config.profile))
    screen.notify(f"Writing the incident report to {path} …", markup=False)
    try:
        # Readable by its owner alone: it holds payloads and errors from the database.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            async with screen.live.lock:
                await stream_incident_report(
                    app.store,
                    run_filter,
                    out,
                    top=TOP_GROUPS,
                    scope=config.link_scope,
                    filters=filters,
                    version=wflog_tui.__version__,
                )
    except StoreError as error:
        path.unlink(missing_ok=True)
        screen.notify(
            f"No report written: {one_line(error.message, 200)}", severity="error", markup=False
        )
        return None
    except OSError as error:
        screen.notify(f"No report written: {error}", severity="error", markup=False)
        return None
    screen.notify(f"Wrote the incident report to {path}", markup=False, timeout=20)
    return path
