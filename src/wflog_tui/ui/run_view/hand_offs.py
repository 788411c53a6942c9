"""Handing the run on from the run view: a Markdown incident note to the clipboard, and
the diff screen, against the run's last good run or a run the reader names.

(Links to a step and the dashboard's URL are `step_links.py`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wflog_tui.model.incident_note import incident_note
from wflog_tui.store import LoadedRun

if TYPE_CHECKING:
    from wflog_tui.ui.run_view.screen import RunScreen


def copy_incident_note(screen: RunScreen) -> None:
    """Copy a Markdown note about the run and the step under the cursor (OSC 52), and
    say how long it is; nothing before the run is loaded."""
    if screen.detail is None or screen.step_tree is None:
        return
    note = incident_note(screen.detail, screen.step_tree, screen.step_view.selected_node)
    screen.app.copy_to_clipboard(note)
    lines = note.count("\n")
    screen.notify(f"Copied an incident note ({lines} lines) to the clipboard.", markup=False)


def open_compare(screen: RunScreen, against: str | None = None) -> None:
    """Open the diff screen: the run against its last good run, or against run `against`,
    reusing the run as loaded and sharing the view's query lock."""
    # Imported here: the diff screen is built from this package's tree and fill queue.
    from wflog_tui.ui.run_compare import CompareScreen

    loaded = None
    if screen.detail is not None and screen.step_tree is not None:
        loaded = LoadedRun(screen.detail, screen.step_tree)
    screen.app.push_screen(
        CompareScreen(screen.run_id, loaded=loaded, against=against, query_lock=screen.live.lock)
    )


def ask_and_compare(screen: RunScreen) -> None:
    """Ask for a run id, then open the diff screen against that run (nothing if none)."""
    from wflog_tui.ui.run_compare import BaselinePrompt

    screen.app.push_screen(
        BaselinePrompt(), lambda run_id: open_compare(screen, run_id) if run_id else None
    )
