"""A modal list to choose one value from (a workflow, an organisation, a saved view), or none."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wflog_tui.model.display_text import one_line


class Picker(ModalScreen[str | None]):
    """Choose one value from a list (a workflow, an organisation), or clear the choice.

    `clearable=False` leaves out the "(any)" row, for a list where choosing nothing means
    nothing (the saved views): esc is then the only way out without a value.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(
        self, title: str, values: list[str], current: str | None, *, clearable: bool = True
    ) -> None:
        super().__init__()
        self.title_text = title
        self.values = values
        self.current = current
        self.clearable = clearable

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Text(self.title_text), id="picker-title")
            options = [Option(Text("(any)"), id="")] if self.clearable else []
            options += [
                Option(Text(one_line(value, 80)), id=f"v{i}") for i, value in enumerate(self.values)
            ]
            yield OptionList(*options)

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        if self.current in self.values:
            option_list.highlighted = self.values.index(self.current) + int(self.clearable)
        option_list.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        self.dismiss(self.values[int(option_id[1:])] if option_id else "")

    def action_dismiss_none(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
