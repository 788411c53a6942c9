"""Copying a run id to the clipboard (OSC 52, so it works over SSH), as `y` does on the run
list and the failure groups screen, and `ctrl+y` (raw) on the list.

A run id comes from the database: the copy escapes what could act on a terminal unless the
reader asked for it raw, and the toast says which one was copied without markup.
"""

from __future__ import annotations

from textual.widget import Widget

from wflog_tui.model.clipboard_text import copy_text, raw_copy_text
from wflog_tui.model.display_text import one_line


def copy_run_id(node: Widget, run_id: str, *, raw: bool = False) -> None:
    """Copy `run_id` and say so; `raw`: exactly as stored, unsafe characters and all."""
    node.app.copy_to_clipboard(raw_copy_text(run_id) if raw else copy_text(run_id))
    said = (
        f"raw run id {one_line(run_id, 60)} (unescaped)"
        if raw
        else f"run id {one_line(run_id, 60)}"
    )
    node.notify(f"Copied {said}", markup=False)
