"""The Textual application: owns the store, the themes and the screen stack."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen

from wflog_tui.store import LoadedRun, RunFilter, Store
from wflog_tui.ui.config import AppConfig
from wflog_tui.ui.help_screen import HelpScreen
from wflog_tui.ui.palette import ScreenActionsProvider
from wflog_tui.ui.themes import DEFAULT_THEME, register_themes, status_variable_defaults

if TYPE_CHECKING:  # the failure groups' modules are imported when they open
    from wflog_tui.store.failure_loading import PendingFailureLog


class WflogApp(App[None]):
    """wflog-tui: the run list, and a run view pushed on top of it.

    The store is opened by the caller (the CLI) in the same event loop, so a bad DSN is
    reported before any screen is drawn.
    """

    TITLE = "wflog-tui"
    # Absolute, so that a subclass defined elsewhere (tests, embedding) finds it too.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    COMMANDS = App.COMMANDS | {ScreenActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Keys", key_display="?"),
    ]

    def __init__(
        self,
        store: Store,
        config: AppConfig | None = None,
        *,
        prefetched: Mapping[str, asyncio.Future[LoadedRun | None]] | None = None,
        pending_groups: PendingFailureLog | None = None,
    ) -> None:
        """The app on `store`; `prefetched` holds runs already loading (`--run`), by id,
        `pending_groups` the failures of the groups screen already loading (`--groups`)."""
        super().__init__()
        self.store = store
        self.config = config or AppConfig()
        self._prefetched = dict(prefetched or {})
        self._pending_groups = pending_groups
        # Registered before the first screen: CSS naming $status-… needs the theme set.
        self.theme_warnings = register_themes(self)
        theme = self.config.theme or DEFAULT_THEME
        if theme not in self.available_themes:
            self.theme_warnings.append(f"No theme named {theme!r}; using {DEFAULT_THEME}")
            theme = DEFAULT_THEME
        self.theme = theme

    def take_prefetched(self, run_id: str) -> asyncio.Future[LoadedRun | None] | None:
        """The load of `run_id` started before the app, once; None when there is none."""
        return self._prefetched.pop(run_id, None)

    def take_pending_groups(self, run_filter: RunFilter) -> PendingFailureLog | None:
        """The failures of `run_filter` started loading before the app, once; None when
        there is no such load."""
        pending = self._pending_groups
        if pending is None or pending.run_filter != run_filter:
            return None
        self._pending_groups = None
        return pending

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Status colours ($status-failed, …) for themes that do not set their own."""
        return status_variable_defaults(self.current_theme)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's system commands without its key panel: `?` opens ours."""
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command

    def on_mount(self) -> None:
        """Open the run list, the run asked for with `--run`, or the groups (`--groups`).

        With `--run` the list is made only when the reader goes back to it: building a
        list nobody sees would slow down landing on the run.
        """
        for warning in self.theme_warnings:
            self.notify(warning, title="Theme", severity="warning", markup=False, timeout=10)
        if self.config.open_run:
            from wflog_tui.ui.run_view import RunScreen

            self.push_screen(RunScreen(self.config.open_run))
        elif self.config.open_groups:
            from wflog_tui.ui.failure_groups import FailureGroupsScreen

            self.push_screen(FailureGroupsScreen(self.config.run_filter))
        else:
            self.show_run_list()

    def show_run_list(self) -> None:
        """Put the run list on top: a new one, in place of the top screen when one is open
        (a run opened with `--run` has no list below it)."""
        from wflog_tui.ui.run_list import RunListScreen

        if len(self.screen_stack) > 1:
            self.switch_screen(RunListScreen())
        else:
            self.push_screen(RunListScreen())

    def action_help(self) -> None:
        """Show every key of the current screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def wflog_app(node: DOMNode) -> WflogApp:
    """The app `node` runs in, typed as ours (Textual types `node.app` as a plain `App`),
    so screens reach its `config` and `store` without a cast at every use."""
    return cast(WflogApp, node.app)
