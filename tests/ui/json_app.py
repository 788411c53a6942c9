"""The JSON view alone in an app of its own, recording what it tells the user."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer

from wflog_tui.ui.widgets.json_view import JsonView


class JsonApp(App[None]):
    """One JsonView that fills the screen, recording what it tells the user."""

    def __init__(self, value: object, *, footer: bool = False) -> None:
        super().__init__()
        self.value = value
        self.footer = footer
        self.notices: list[str] = []
        self.paths: list[tuple] = []

    def compose(self) -> ComposeResult:
        yield JsonView(self.value, id="json")
        if self.footer:
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(JsonView).focus()

    def notify(self, message: str, **kwargs) -> None:
        self.notices.append(message)
        super().notify(message, **kwargs)

    def on_json_view_path_highlighted(self, event: JsonView.PathHighlighted) -> None:
        self.paths.append(event.path)
