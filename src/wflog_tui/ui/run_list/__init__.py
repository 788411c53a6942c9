"""The run list screen (`screen.py`), its table of runs (`table.py`), its status line
(`status_line.py`), what its filter keys do (`filter_changes.py`) and its lines of text
(`lines.py`)."""

from wflog_tui.ui.run_list.screen import RunListScreen

__all__ = ["RunListScreen"]
