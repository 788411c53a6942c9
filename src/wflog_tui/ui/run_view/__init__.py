"""The run view screen (`screen.py`) and its parts: the header, the body (`run_body.py`:
the step tree and the detail pane with its data flow and waterfall), the load, the tail,
the navigator, the search, the fill queue of a big run's skeleton, and the hand-offs."""

from wflog_tui.ui.run_view.screen import RunScreen

__all__ = ["RunScreen"]
