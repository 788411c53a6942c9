"""The `?` screen as a user meets it: open it on a screen, read the keys, scroll, close it."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from wflog_tui.ui.help_screen import HelpScreen, describe_action


class StepsPanel(Widget, can_focus=True):
    """A focusable panel with keys of its own, like the step tree."""

    BINDING_GROUP_TITLE = "Steps"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy value"),
        Binding("e", "expand_all", show=False),
    ]


class RunScreen(Screen[None]):
    """A screen with the kinds of binding a run view has."""

    TITLE = "Run 7f3a"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_failure", "Next failure"),
        Binding("N", "previous_failure", "Previous failure", show=False),
        Binding("t", "tail", "Tail", tooltip="Follow a RUNNING run"),
        Binding("p", "pause", "Pause"),
        Binding("x", "secret", "Hidden now"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def compose(self) -> ComposeResult:
        yield StepsPanel()
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "secret":
            return False
        if action == "pause":
            return None
        return True


class HelpApp(App[None]):
    """The app shell's `?` and `q`, over one run screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Keys", key_display="?"),
    ]

    def __init__(self, screen: Screen[None] | None = None) -> None:
        super().__init__()
        self.first_screen = screen or RunScreen()

    def on_mount(self) -> None:
        self.push_screen(self.first_screen)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())


def shown_groups(screen: Screen[object]) -> dict[str, list[tuple[str, str]]]:
    """Each heading the help shows, with its rows as (keys, description) read off the screen."""
    groups: dict[str, list[tuple[str, str]]] = {}
    rows: list[tuple[str, str]] = []
    for widget in screen.query(Static):
        lines = [widget.render_line(y).text.strip() for y in range(widget.size.height)]
        if widget.has_class("help-group-title"):
            rows = groups.setdefault(lines[0], [])
        else:
            rows.extend(tuple(re.split(r"\s{2,}", line, maxsplit=1)) for line in lines)
    return groups


async def test_help_lists_the_keys_of_the_screen_below_grouped() -> None:
    app = HelpApp()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        app.screen.query_one(StepsPanel).focus()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        groups = shown_groups(app.screen)
        assert list(groups) == [
            "This screen",
            "Focused panel · Steps",
            "Everywhere",
            "Common keys",
        ]

        this_screen = groups["This screen"]
        assert ("n", "Next failure") in this_screen
        # Keys hidden from the footer are still keys: the help lists them.
        assert ("N", "Previous failure") in this_screen
        assert ("t", "Tail  Follow a RUNNING run") in this_screen
        assert ("esc", "Back") in this_screen
        assert ("p", "Pause") in this_screen
        # An action the screen hides right now is not listed.
        assert not any("Hidden now" in text for _, text in this_screen)

        assert groups["Focused panel · Steps"] == [("y", "Copy value"), ("e", "Expand all")]

        everywhere = groups["Everywhere"]
        # Keys the app declares; Textual's own (its ctrl+q, its scrolling) are noise here.
        assert everywhere == [("q", "Quit"), ("?", "Keys")]

        # Conventions that work here through Textual's own bindings are named once; those
        # this screen does not honour (`/`, `n N` where nothing searches) are not.
        assert groups["Common keys"] == [("^p", "Command palette: every action by name")]
        assert app.screen.query_one("#help-dialog").border_title == "Keys · Run 7f3a"


async def test_help_follows_focus_and_dims_disabled_actions() -> None:
    app = HelpApp()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not any(title.startswith("Focused panel") for title in shown_groups(app.screen))
        rows = [
            widget.render_line(y)
            for widget in app.screen.query(".help-group-keys").results(Static)
            for y in range(widget.size.height)
        ]
        pause_row = next(row for row in rows if row.text.strip().endswith("Pause"))
        next_row = next(row for row in rows if row.text.strip().endswith("Next failure"))
        assert all(segment.style.dim for segment in pause_row if segment.text.strip())
        assert not any(segment.style.dim for segment in next_row if segment.text.strip())


async def test_escape_question_mark_and_q_close_help_without_quitting() -> None:
    app = HelpApp()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        for key in ("escape", "question_mark", "q"):
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, RunScreen), key
        assert app.is_running


async def test_long_help_scrolls_with_j_and_arrows() -> None:
    app = HelpApp()
    async with app.run_test(size=(80, 14)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        keys = app.screen.query_one("#help-keys", VerticalScroll)
        assert keys.max_scroll_y > 0
        await pilot.press("j", "j")
        await pilot.pause()
        assert keys.scroll_y == 2
        await pilot.press("down")
        await pilot.pause()
        assert keys.scroll_y == 3
        await pilot.press("k")
        await pilot.pause()
        assert keys.scroll_y == 2


async def test_markup_in_a_description_is_shown_as_written() -> None:
    class OddScreen(Screen[None]):
        BINDINGS: ClassVar[list[BindingType]] = [Binding("z", "odd", "[bold]not bold[/] [x]")]

    app = HelpApp(OddScreen())
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert ("z", "[bold]not bold[/] [x]") in shown_groups(app.screen)["This screen"]


def test_actions_without_a_description_get_a_readable_name() -> None:
    assert describe_action("expand_all") == "Expand all"
    assert describe_action("app.pop_screen") == "Pop screen"
    assert describe_action("scroll_keys('down')") == "Scroll keys"
