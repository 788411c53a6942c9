"""The diff screen (`screen.py`): a run compared with its last good run, or one named.

Its parts: the header (baseline and why, first divergence and root), the marked step
tree (the run view's tree with marks), the pane of changes, the prompt for a baseline,
and where `n`/`N` are among the differences (`difference_walk.py`).
"""

from wflog_tui.ui.run_compare.baseline_prompt import BaselinePrompt
from wflog_tui.ui.run_compare.screen import CompareScreen

__all__ = ["BaselinePrompt", "CompareScreen"]
