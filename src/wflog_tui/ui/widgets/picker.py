"""A modal list to choose one value from (a workflow, an organisation, a saved view), or none.

It opens at once, saying it is loading, and is filled when the values arrive: a key press
always shows something, even while the view's one query at a time is busy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from wflog_tui.model.display_text import one_line
from wflog_tui.store import StoreError


class Picker(ModalScreen[str | None]):
    """Choose one value from a list (a workflow, an organisation), or clear the choice."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(
        self, title: str, values: list[str] | None, current: str | None, *, clearable: bool = True
    ) -> None:
        """A picker titled `title` offering `values` (None: still loading; see `set_values`).

        `clearable=False` leaves out the "(any)" row, for a list where choosing nothing
        means nothing (a saved view, a profile).
        """
        super().__init__()
        self.clearable = clearable
        self.title_text = title
        self.values: list[str] = []
        self.current = current
        self._initial = values
        self._problem: str | None = None
        self._up = False

    @classmethod
    def open(
        cls,
        host: Widget,
        title: str,
        current: str | None,
        values: Callable[[], Awaitable[list[str]]],
        lock: asyncio.Lock,
        chosen: Callable[[str | None], None],
    ) -> Picker:
        """Push a picker at once, and fill it from `values()` in a worker of `host` once
        `lock` (the view's one query at a time) is free; `chosen` gets the choice."""
        picker = cls(title, None, current)
        host.app.push_screen(picker, chosen)
        fill = partial(picker._fill, values, lock)
        host.run_worker(fill, group="picker", exclusive=True)
        return picker

    async def _fill(self, values: Callable[[], Awaitable[list[str]]], lock: asyncio.Lock) -> None:
        try:
            async with lock:
                choices = await values()
        except StoreError as exc:
            if self.is_attached:
                self.show_problem(exc.message)
            return
        if self.is_attached:
            self.set_values(choices)

    def compose(self) -> ComposeResult:
        """The title, then the choices."""
        with Vertical(id="picker"):
            yield Static(Text(self.title_text), id="picker-title")
            yield OptionList(Option(Text("loading …"), id="loading", disabled=True))

    def on_mount(self) -> None:
        """Fill in the values (or the problem) that came before the picker was up, and
        take the keys."""
        self._up = True
        if self._problem is not None:
            self.show_problem(self._problem)
        elif self._initial is not None:
            self.set_values(self._initial)
        self.query_one(OptionList).focus()

    def set_values(self, values: list[str]) -> None:
        """Offer `values` (and "(any)" when clearable), the current one highlighted."""
        if not self._up:  # a fast answer: on_mount shows it
            self._initial = values
            return
        self.values = values
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        if self.clearable:
            option_list.add_option(Option(Text("(any)"), id=""))
        option_list.add_options(
            Option(Text(one_line(value, 80)), id=f"v{i}") for i, value in enumerate(values)
        )
        if self.current in values:
            option_list.highlighted = values.index(self.current) + int(self.clearable)
        elif option_list.option_count:
            option_list.highlighted = 0

    def show_problem(self, message: str) -> None:
        """The values could not be fetched: say why; esc closes."""
        if not self._up:  # a fast failure: on_mount shows it
            self._problem = message
            return
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_option(Option(Text(one_line(message, 200)), id="problem", disabled=True))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if option_id in ("loading", "problem"):
            return
        self.dismiss(self.values[int(option_id[1:])] if option_id else "")

    def action_dismiss_none(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
