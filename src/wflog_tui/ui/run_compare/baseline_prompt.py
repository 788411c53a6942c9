"""Asking which run to compare with: a run id (or row id) typed into an Input."""

from __future__ import annotations

from typing import ClassVar, Final

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

# run_id and id are short texts; anything longer was pasted by mistake.
MAX_RUN_ID_CHARS: Final = 200


def read_run_id(typed: str) -> tuple[str | None, str]:
    """The run id in what was typed, or None and why it is not one.

    Surrounding spaces go; an empty text, control characters or an over-long text are
    refused with a message. The id then travels as a query parameter, never spliced.
    """
    text = typed.strip()
    if not text:
        return None, "Type a run id (or a row id) to compare with."
    if len(text) > MAX_RUN_ID_CHARS:
        return None, f"A run id is at most {MAX_RUN_ID_CHARS} characters."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None, "A run id has no control characters."
    return text, ""


class BaselinePrompt(ModalScreen[str | None]):
    """Which run to compare with: enter accepts a run id, esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    BaselinePrompt { align: center middle; }
    BaselinePrompt > #baseline-box {
        width: 70; max-width: 100%; height: auto; padding: 1 2;
        background: $panel; border: round $accent;
    }
    BaselinePrompt #baseline-problem { color: $text-error; height: auto; }
    """

    def compose(self) -> ComposeResult:
        """A title, the Input, and a line for what is wrong with what was typed."""
        with Vertical(id="baseline-box"):
            yield Static(Text("Compare with run (run id or row id; esc cancels)"))
            yield Input(placeholder="run id", id="baseline-id", max_length=MAX_RUN_ID_CHARS * 2)
            yield Static(id="baseline-problem", markup=False)

    def on_mount(self) -> None:
        """Focus the Input."""
        self.query_one(Input).focus()

    @on(Input.Submitted, "#baseline-id")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        run_id, problem = read_run_id(event.value)
        if run_id is None:
            self.query_one("#baseline-problem", Static).update(Text(problem))
            return
        self.dismiss(run_id)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
