"""The search language by example (`?` in the empty search box, or F1): the model's
`EXAMPLES`, so the help can never describe a grammar the parser does not take."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from wflog_tui.model.search_query import EXAMPLES

_FOOTNOTE = (
    "Spaces mean AND, a leading - negates, double quotes group words. A mistake is shown "
    "with a caret under it and nothing is searched. Only = terms can use an index "
    "(see wflog-tui doctor)."
)


def grammar_text(width: int) -> Content:
    """Each example with what it finds: side by side when `width` cells hold both, else
    the meaning indented under its example; then the rules that join terms."""
    column = max(cell_len(query) for query, _ in EXAMPLES) + 2
    side_by_side = column + max(cell_len(means) for _, means in EXAMPLES) <= width
    lines = []
    for query, means in EXAMPLES:
        example = Content.styled(query, "$text-accent bold")
        if side_by_side:
            lines.append(Content.assemble(example, " " * (column - cell_len(query)), means))
        else:
            lines.extend([example, Content.styled(f"    {means}", "dim")])
    lines.append(Content(""))
    lines.append(Content.styled(_FOOTNOTE, "dim"))
    return Content("\n").join(lines)


class SearchGrammar(ModalScreen[None]):
    """The grammar of the run list's search, with an example of every kind of term."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", key_display="?", show=False),
        Binding("f1", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    DEFAULT_CSS = """
    SearchGrammar {
        align: center middle;
        & > #grammar-dialog {
            width: 130;
            max-width: 95%;
            height: auto;
            max-height: 90%;
            border: round $primary;
            border-title-style: bold;
            border-subtitle-color: $text-muted;
            background: $surface;
            padding: 0 1;
        }
        & #grammar-examples { height: auto; max-height: 100%; }
    }
    """

    def compose(self) -> ComposeResult:
        """A titled dialog holding the examples, scrollable on a small terminal."""
        with Vertical(id="grammar-dialog") as dialog:
            dialog.border_title = "Search: the language"
            dialog.border_subtitle = "esc close · ↑ ↓ scroll"
            with VerticalScroll(id="grammar-examples"):
                # The dialog's border and padding take 4 cells of its width.
                width = min(130, int(self.app.size.width * 0.95)) - 4
                yield Static(grammar_text(width), markup=False)

    def on_mount(self) -> None:
        """Focus the examples so the arrow keys scroll them."""
        self.query_one("#grammar-examples", VerticalScroll).focus()

    def action_close(self) -> None:
        """Back to the search box."""
        self.dismiss()
