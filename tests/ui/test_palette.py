"""The command palette as a user meets it: open it, type, read the list, press enter."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from tests.ui.harness import open_palette
from wflog_tui.ui.palette import ScreenActionsProvider
from wflog_tui.ui.themes import DEFAULT_THEME, register_themes, status_variable_defaults


class FailuresPanel(Widget, can_focus=True):
    """A focused panel with an action of its own."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("y", "copy_value", "Copy value")]

    def __init__(self) -> None:
        super().__init__()
        self.copies = 0

    def action_copy_value(self) -> None:
        self.copies += 1


class RunScreen(Screen[None]):
    """A run view's worth of keys, recording the actions that ran."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_failure", "Next failure"),
        Binding("N", "previous_failure", "Previous failure", show=False),
        Binding("x", "secret", "Hidden now"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []

    def compose(self) -> ComposeResult:
        yield FailuresPanel()
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "secret"

    def action_next_failure(self) -> None:
        self.ran.append("next")

    def action_previous_failure(self) -> None:
        self.ran.append("previous")


class PaletteApp(App[None]):
    """The app shell's palette set-up: Textual's commands plus ours, and our themes."""

    COMMANDS = App.COMMANDS | {ScreenActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def __init__(self, user_dir: Path) -> None:
        super().__init__()
        self.user_dir = user_dir

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return status_variable_defaults(self.current_theme)

    def on_mount(self) -> None:
        register_themes(self, self.user_dir)
        self.theme = DEFAULT_THEME
        self.push_screen(RunScreen())


async def test_empty_palette_lists_the_screen_actions_with_their_keys(tmp_path: Path) -> None:
    app = PaletteApp(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one(FailuresPanel).focus()
        listed = await open_palette(pilot)
        assert "Copy value  y" in listed
        assert "Next failure  n" in listed
        assert "Previous failure  N" in listed
        assert "Toggle light / dark theme" in listed
        assert not any("Hidden now" in line for line in listed)
        # Quit is Textual's own command; ours does not list it twice.
        assert sum(line.startswith("Quit") for line in listed) == 1


async def test_choosing_a_screen_action_runs_it(tmp_path: Path) -> None:
    app = PaletteApp(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunScreen)
        listed = await open_palette(pilot, "next fail")
        assert listed[0] == "Next failure  n"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.ran == ["next"]


async def test_a_focused_panel_action_runs_in_the_panel(tmp_path: Path) -> None:
    app = PaletteApp(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(FailuresPanel)
        panel.focus()
        listed = await open_palette(pilot, "copy val")
        assert listed[0] == "Copy value  y"
        await pilot.press("enter")
        await pilot.pause()
        assert panel.copies == 1


@pytest.mark.slow
async def test_switching_theme_from_the_palette(tmp_path: Path) -> None:
    app = PaletteApp(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        listed = await open_palette(pilot, "theme incident")
        assert listed[0] == "Theme: wflog-incident"
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "wflog-incident"
        assert isinstance(app.screen, RunScreen)

        listed = await open_palette(pilot, "toggle light")
        assert listed[0] == "Toggle light / dark theme"
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "wflog-paper"

        await open_palette(pilot, "toggle light")
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "wflog-dark"


async def test_user_theme_names_are_shown_as_written(tmp_path: Path) -> None:
    (tmp_path / "ops.toml").write_text('name = "ops.b_2"\nprimary = "#00ff00"\n')
    app = PaletteApp(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        listed = await open_palette(pilot, "ops.b")
        assert "Theme: ops.b_2" in listed
