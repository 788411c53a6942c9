"""The run list's search box: the search language typed in, parsed as the reader pauses,
a mistake pointed at with a caret (and no query sent), the session's searches on the arrows.

The box only parses; the screen turns a parsed query into the list's filter, so the query
goes through the list's one refresh worker and its LiveRefresh lock like any filter.
"""

from __future__ import annotations

from typing import ClassVar, Final

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from wflog_tui.model.display_text import escape_control, one_line
from wflog_tui.model.search_history import SearchHistory
from wflog_tui.model.search_query import SearchQuery, SearchSyntaxError, parse_query

# Typing narrows the list once the reader pauses this long: one query per pause, not per key.
DEBOUNCE_S: Final = 0.3
PLACEHOLDER: Final = "words, status:FAILED, input.path=value …  ? or F1 grammar · ↑↓ history"


def syntax_error_text(text: str, error: SearchSyntaxError, width: int) -> Text:
    """The mistake in words, then the query with a caret under the mistake.

    A query wider than `width` is cut around the mistake (with … where cut), so the caret
    always points at a character on screen.
    """
    # Each unsafe character (a pasted escape) becomes one visible mark, so the caret
    # still lines up with the character it points at.
    line = "".join(
        char if escape_control(char) == char else "\ufffd"
        for char in error.pointer(text).split("\n")[0]
    )
    position = min(error.position, len(line))
    room = max(10, width)
    start = 0
    if len(line) >= room:
        # The caret may sit just past the last character (a query that ends too soon).
        start = max(0, min(position - room // 2, len(line) + 1 - room))
        cut = line[start : start + room]
        if start:
            cut = "…" + cut[1:]
        if start + room < len(line):
            cut = cut[:-1] + "…"
        line = cut
    message = one_line(error.message, 200)
    result = Text(f"✗ {message} (column {error.position + 1})", style="bold")
    result.append("\n" + line)
    result.append("\n" + " " * (position - start) + "^", style="bold")
    return result


class SearchInput(Input):
    """The text box: ↑ and ↓ walk the session's searches; `?` in an empty box (and F1,
    on the screen) shows the grammar, while a `?` typed after text is searched for."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Earlier search", show=False),
        Binding("down", "history(1)", "Later search", show=False),
    ]
    BINDING_GROUP_TITLE = "Search box"

    class GrammarRequested(Message):
        """`?` was typed into the empty box: show the grammar rather than search for it."""

    def __init__(self, history: SearchHistory, **kwargs: object) -> None:
        super().__init__(placeholder=PLACEHOLDER, **kwargs)  # type: ignore[arg-type]
        self.history = history
        self._recalled: str | None = None

    async def _on_key(self, event: events.Key) -> None:
        # Called before Input's own handler, which would type the `?` into the box.
        if event.key == "question_mark" and not self.value:
            event.stop()
            event.prevent_default()
            self.post_message(self.GrammarRequested())

    def action_history(self, direction: int) -> None:
        """Show the previous (-1) or next (1) search of the session."""
        text = self.history.previous(self.value) if direction < 0 else self.history.next()
        if text is None:
            return
        self._recalled = text
        self.value = text
        self.cursor_position = len(text)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        # A change the history made is not typing: the walk goes on from there.
        if event.value != self._recalled:
            self.history.stop_walking()
        self._recalled = None


class SearchBox(Vertical):
    """The search input and, under it, what is wrong with the query typed, if anything."""

    DEFAULT_CSS = """
    SearchBox { height: auto; background: $surface; }
    SearchBox > #search-error { height: auto; padding: 0 1; color: $text-error; display: none; }
    SearchBox > #search-error.-shown { display: block; }
    """

    class QueryChanged(Message):
        """The reader paused on (or submitted) a query that parses: the list should show it."""

        def __init__(self, query: SearchQuery, *, submitted: bool) -> None:
            super().__init__()
            self.query = query
            self.submitted = submitted

    def __init__(self, history: SearchHistory, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history = history
        self._timer: Timer | None = None
        self.error: SearchSyntaxError | None = None
        """The mistake in the text shown, once parsed; None when it parses."""

    def compose(self) -> ComposeResult:
        """The input, then the line that points at a mistake."""
        yield SearchInput(self.history, id="search-input")
        yield Static(id="search-error", markup=False)

    @property
    def input(self) -> SearchInput:
        """The text box."""
        return self.query_one(SearchInput)

    def open(self, text: str) -> None:
        """Show the box holding `text`, focused, with the cursor at its end."""
        self.display = True
        box = self.input
        box.value = text
        box.cursor_position = len(text)
        box.focus()

    def close(self) -> None:
        """Hide the box; a parse still pending is dropped."""
        self._cancel()
        self.display = False

    def reset(self) -> None:
        """Empty the box and forget its mistake, as when every filter is cleared."""
        self._cancel()
        self.input.value = ""
        self._show_error(None, "")

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._cancel()
        if self.display:
            self._timer = self.set_timer(DEBOUNCE_S, lambda: self._parse(submitted=False))

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._cancel()
        self._parse(submitted=True)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _parse(self, *, submitted: bool) -> None:
        self._timer = None
        text = self.input.value
        try:
            query = parse_query(text)
        except SearchSyntaxError as error:
            self._show_error(error, text)
            return
        self._show_error(None, text)
        if submitted:
            self.history.add(text)
        self.post_message(self.QueryChanged(query, submitted=submitted))

    def _show_error(self, error: SearchSyntaxError | None, text: str) -> None:
        self.error = error
        shown = self.query_one("#search-error", Static)
        shown.set_class(error is not None, "-shown")
        width = (self.size.width or 80) - 2
        shown.update(syntax_error_text(text, error, width) if error is not None else Text())
