"""The body of the run view: the step tree beside the detail pane (stacked below 120
columns), either of them zoomed to the whole body with `z`, and `tab` between them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget

from wflog_tui.ui.run_view.detail_pane import DetailPane
from wflog_tui.ui.run_view.step_tree_view import StepTreeView


class RunBody(Horizontal):
    """The step tree and the detail pane, side by side or stacked, or one of them zoomed."""

    # Not scoped: the layout follows the screen's breakpoint class (`-narrow`, `-wide`).
    SCOPED_CSS = False
    DEFAULT_CSS = """
    RunScreen #run-body { height: 1fr; }
    RunScreen StepTreeView { width: 45%; min-width: 30; border-right: vkey $foreground 20%; }
    RunScreen #detail { width: 1fr; }
    RunScreen.-narrow #run-body { layout: vertical; }
    RunScreen.-narrow StepTreeView {
        width: 100%; height: 45%; min-height: 4;
        border-right: none; border-bottom: hkey $foreground 20%;
    }
    RunScreen.-narrow #detail { width: 100%; height: 1fr; }
    RunScreen #run-body.-zoom-steps #detail { display: none; }
    RunScreen #run-body.-zoom-steps StepTreeView { width: 100%; height: 100%; border: none; }
    RunScreen #run-body.-zoom-detail StepTreeView { display: none; }
    """

    def compose(self) -> ComposeResult:
        """The step tree, then the detail pane."""
        yield StepTreeView(id="steps")
        yield DetailPane(id="detail")

    def zoom(self) -> None:
        """Show the focused pane (tree or detail) on the whole body; again to show both."""
        if self.has_class("-zoom-steps") or self.has_class("-zoom-detail"):
            self.remove_class("-zoom-steps", "-zoom-detail")
            return
        focused = self.screen.focused
        in_detail = (
            focused is not None and self.query_one(DetailPane) in focused.ancestors_with_self
        )
        self.add_class("-zoom-detail" if in_detail else "-zoom-steps")

    def switch_focus(self) -> None:
        """Move focus from the step tree to the detail pane, or back."""
        view = self.query_one(StepTreeView)
        if view.has_focus or self.screen.focused is None:
            pane = self.query_one(DetailPane)
            target = pane if pane.focusable else None
            if target is None:
                target = next((w for w in pane.walk_children(Widget) if w.focusable), None)
            if target is not None:
                target.focus()
        else:
            view.focus()
