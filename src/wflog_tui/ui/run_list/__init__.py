"""The run list screen (`screen.py`), its table of runs (`table.py`) and its lines of text
(`lines.py`)."""

from wflog_tui.ui.run_list.screen import RunListScreen

__all__ = ["RunListScreen"]
