"""A run opened from a failure group: the run view, plus moving to the group's next run.

`>` and `<` replace this run with the next (older) or previous (newer) run of the same
group, landed on its failure like any run; `esc` still goes back to the groups screen,
because each move replaces the top screen rather than stacking another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static

from wflog_tui.model.display_text import one_line
from wflog_tui.ui.run_view import RunScreen


class GroupRunScreen(RunScreen):
    """One run of a failure group, with the keys to step through the group's runs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("greater_than_sign", "group_run(1)", "Next run of group", key_display=">"),
        Binding("less_than_sign", "group_run(-1)", "Prev run of group", key_display="<"),
    ]

    DEFAULT_CSS = """
    GroupRunScreen #group-position { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, run_ids: Sequence[str], index: int, label: str) -> None:
        """The run `run_ids[index]` of the group called `label` (its runs newest first)."""
        super().__init__(run_ids[index])
        self.group_run_ids = tuple(run_ids)
        self.index = index
        self.group_label = label

    def on_mount(self) -> None:
        """Say which run of which group this is, above the footer."""
        position = Text(
            f"group run {self.index + 1:,}/{len(self.group_run_ids):,} · > next < previous · ",
            no_wrap=True,
            overflow="ellipsis",
        )
        position.append(one_line(self.group_label, 200), style="bold")
        self.mount(Static(position, id="group-position"), before=self.query_one(Footer))

    def action_group_run(self, step: int) -> None:
        """Open the next (1, older) or previous (-1, newer) run of the group in this place."""
        index = self.index + step
        if not 0 <= index < len(self.group_run_ids):
            edge = "oldest" if step > 0 else "newest"
            self.notify(f"This is the {edge} run of the group.", markup=False, timeout=2)
            return
        self.app.switch_screen(GroupRunScreen(self.group_run_ids, index, self.group_label))
