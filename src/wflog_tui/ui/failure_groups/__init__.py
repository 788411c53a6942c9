"""The failure groups screen (`screen.py`), its table of groups (`group_table.py`), the
selected group's detail (`group_detail.py`) and runs (`group_runs.py`), its splitters
(`splitter_measures.py`), its status line (`status_line.py`), its lines of text
(`lines.py`), and a run opened from a group (`run_in_group.py`)."""

from wflog_tui.ui.failure_groups.screen import FailureGroupsScreen

__all__ = ["FailureGroupsScreen"]
