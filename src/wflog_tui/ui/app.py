"""The Textual application: owns the store, the themes and the screen stack."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from wflog_tui.store import Store
from wflog_tui.ui.config import AppConfig


class WflogApp(App[None]):
    """wflog-tui: the run list, and a run view pushed on top of it.

    The store is opened by the caller (the CLI) in the same event loop, so a bad DSN is
    reported before any screen is drawn.
    """

    TITLE = "wflog-tui"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Keys", key_display="?"),
    ]

    def __init__(self, store: Store, config: AppConfig | None = None) -> None:
        super().__init__()
        self.store = store
        self.config = config or AppConfig()

    def on_mount(self) -> None:
        """Open the run list, and the run asked for with `--run` on top of it."""
        from wflog_tui.ui.run_list import RunListScreen

        self.push_screen(RunListScreen())
        if self.config.open_run:
            from wflog_tui.ui.run_view import RunScreen

            self.push_screen(RunScreen(self.config.open_run))
