"""A `StyledOnceScreen` is styled as it is mounted and not again for its first resume or
its first resize; later resizes still switch its breakpoint class and its styles.

These tests also guard the private parts of Textual the class relies on (see
`wflog_tui.ui.styled_once`): if an upgrade changes them, the counts here change.
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from tests.ui.harness import settle
from wflog_tui.ui.styled_once import StyledOnceScreen, breakpoint_class

BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]


def css(screen: str) -> str:
    """Static 10 cells wide, 5 on a narrow screen."""
    return f"{screen} Static {{ width: 10; }} {screen}.-narrow Static {{ width: 5; }}"


class Plain(Screen[None]):
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = BREAKPOINTS
    DEFAULT_CSS = css("Plain")

    def compose(self) -> ComposeResult:
        yield Static("one", id="one")


class Once(StyledOnceScreen[None]):
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = BREAKPOINTS
    DEFAULT_CSS = css("Once")

    def compose(self) -> ComposeResult:
        yield Static("one", id="one")


class Host(App[None]):
    def __init__(self, screen_type: type[Screen[None]]) -> None:
        super().__init__()
        self.screen_type = screen_type
        self.restyled: list[str] = []

    def update_styles(self, node=None, animate: bool = True) -> None:
        if isinstance(node, self.screen_type):  # the whole screen's styles recomputed
            self.restyled.append(type(node).__name__)
        super().update_styles(node, animate=animate)

    def on_mount(self) -> None:
        self.push_screen(self.screen_type())


@pytest.mark.parametrize(("screen_type", "restyles"), [(Plain, ["Plain", "Plain"]), (Once, [])])
async def test_a_pushed_screen_is_restyled_only_when_it_is_not_styled_once(screen_type, restyles):
    app = Host(screen_type)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, screen_type))
        await pilot.pause()  # resume and resize are handled before the next frame
        assert app.screen.has_class("-narrow") and not app.screen.has_class("-wide")
        assert app.screen.query_one("#one").size.width == 5
        # Plain: once for its resume, once for the breakpoint class of its first resize.
        assert app.restyled == restyles


async def test_a_later_resize_still_switches_the_breakpoint_and_the_styles():
    app = Host(Once)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, Once))
        await pilot.resize_terminal(160, 40)
        await settle(pilot, lambda: app.screen.has_class("-wide"))
        assert not app.screen.has_class("-narrow")
        await settle(pilot, lambda: app.screen.query_one("#one").size.width == 10)


def test_breakpoint_class_picks_the_widest_reached():
    assert breakpoint_class(80, BREAKPOINTS) == ("-narrow",)
    assert breakpoint_class(120, BREAKPOINTS) == ("-wide",)
    assert breakpoint_class(10, [(20, "-big")]) == ()
