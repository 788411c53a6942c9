"""The run view screen (`screen.py`) and its parts: the header, the step tree, the detail
pane with its data flow and waterfall, and the fill queue of a big run's skeleton."""

from wflog_tui.ui.run_view.screen import RunScreen

__all__ = ["RunScreen"]
