"""Search inside a run: `/` asks for text, the matching steps are found, `n`/`N` move
between them ("match 3 of 17") until `esc` clears the search.

Every search runs on the server (`Store.find_in_steps`), for small runs too. A big run is
open as its skeleton, whose payloads are mostly still in the database, so only the server
can search it whole; searching small runs the same way means a needle matches the same
entries whatever the run's size (one SQL definition of "mentions", not a second one in
Python to keep in step with it), for one indexed query per search, under the view's
LiveRefresh lock like every other query of the view. A match lands on its node through
`StepTreeView.select_keys`, which opens only the page of iterations that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from wflog_tui.model.display_text import one_line
from wflog_tui.model.step_tree import StepNode, StepTree
from wflog_tui.store import StoreError
from wflog_tui.ui.app import wflog_app

if TYPE_CHECKING:
    from wflog_tui.ui.run_view.screen import RunScreen

# More matches than this are counted as "1,000+": moving through them stays useful, and
# the answer stays small on a run of 100,000 entries that all mention the needle.
MATCH_LIMIT: Final = 1000
PROMPT_PLACEHOLDER: Final = "text in step ids, names, errors, inputs or outputs · enter searches"


@dataclass(frozen=True)
class StepMatches:
    """The entries that mention `text`, in `steps_log` order, and the one the cursor is on."""

    text: str
    indexes: tuple[int, ...]
    keys: tuple[tuple[str, ...], ...]
    current: int = 0
    capped: bool = False

    def status(self) -> Text:
        """`/quota  match 3 of 17 · n N move · esc clears`."""
        line = Text(f"/{one_line(self.text, 60)}  ", style="bold")
        if not self.indexes:
            line.append("no step mentions it · esc clears")
            return line
        more = "+" if self.capped else ""
        line.append(f"match {self.current + 1:,} of {len(self.indexes):,}{more}", style="bold")
        line.append(" · n N move · esc clears")
        return line


def cursor_entry(node: StepNode | None) -> int:
    """Where `node` sits in `steps_log` order (its first entry, else its first child's)."""
    while node is not None:
        if node.entries:
            return node.entries[0].index
        for child in node.children:
            if child.entries:
                return child.entries[0].index
        node = node.parent
    return -1


def next_match(matches: StepMatches, here: StepNode | None, direction: int) -> int:
    """The match to move to: the one after (or before) the current one when the cursor is
    on it, else the first after (or last before) the cursor, wrapping around."""
    count = len(matches.indexes)
    here_keys = None if here is None else tuple(n.key for n in here.path)
    if here_keys == matches.keys[matches.current]:
        return (matches.current + direction) % count
    position = cursor_entry(here)
    if direction > 0:
        after = [i for i, index in enumerate(matches.indexes) if index > position]
        return after[0] if after else 0
    before = [i for i, index in enumerate(matches.indexes) if index < position]
    return before[-1] if before else count - 1


def first_match(matches: StepMatches, here: StepNode | None) -> int:
    """The match to land on first: the first at or after the cursor, wrapping around."""
    position = cursor_entry(here)
    return next((i for i, index in enumerate(matches.indexes) if index >= position), 0)


class StepSearchBar(Vertical):
    """The search prompt of the run view and, once searched, where the reader is among
    the matches. Hidden while there is neither."""

    DEFAULT_CSS = """
    StepSearchBar { height: auto; display: none; background: $panel; }
    StepSearchBar.-shown { display: block; }
    StepSearchBar > #step-search-input { display: none; margin: 0 1; }
    StepSearchBar > #step-search-input.-typing { display: block; }
    StepSearchBar > #step-search-status { height: 1; padding: 0 1; display: none; }
    StepSearchBar.-has-status > #step-search-status { display: block; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.matches: StepMatches | None = None
        """The last search's answer; None when no search is active."""

    def compose(self) -> ComposeResult:
        """Nothing yet: the prompt and its status line are made on the first `/` (see
        `_parts`), so the run view's first frame, on every run opened, does not wait for
        an Input nobody has asked for to be made and styled."""
        return iter(())

    def _parts(self) -> tuple[Input, Static]:
        """The prompt, then the line that says which match the cursor is on; made once."""
        if not self.children:
            self.mount(
                Input(placeholder=PROMPT_PLACEHOLDER, id="step-search-input"),
                Static(id="step-search-status", markup=False),
            )
        return (
            self.query_one("#step-search-input", Input),
            self.query_one("#step-search-status", Static),
        )

    @property
    def input(self) -> Input:
        """The prompt (made now if it was not yet)."""
        return self._parts()[0]

    @property
    def typing(self) -> bool:
        """True while the prompt is open."""
        return bool(self.children) and self.input.has_class("-typing")

    @property
    def active(self) -> bool:
        """True while a search is on (its matches are what `n`/`N` move between)."""
        return self.matches is not None

    @property
    def clearable(self) -> bool:
        """True while `esc` has something of the search to close: the prompt, a search on
        or under way, or what the last one said."""
        return self.typing or self.has_class("-has-status")

    @property
    def _screen(self) -> RunScreen:
        from wflog_tui.ui.run_view.screen import RunScreen

        screen = self.screen
        assert isinstance(screen, RunScreen)
        return screen

    def open(self) -> None:
        """Open the prompt, holding the current search's text, focused."""
        box = self.input
        box.value = self.matches.text if self.matches is not None else ""
        box.add_class("-typing")
        self.add_class("-shown")
        box.focus()

    def close_prompt(self, *, focus_tree: bool = True) -> None:
        """Close the prompt; a search already on stays on."""
        if self.children:
            self.input.remove_class("-typing")
        self.set_class(self.active, "-shown")
        if focus_tree:
            self._screen.step_view.focus()

    def step_back(self) -> None:
        """What `esc` does: close the prompt; with it closed, end the search."""
        if self.typing:
            self.close_prompt()
        else:
            self.clear()

    @on(Input.Blurred, "#step-search-input")
    def _left(self, event: Input.Blurred) -> None:
        # A prompt left open without focus would let a typed `q` quit the app: focus moved
        # elsewhere on this screen (a click, tab) closes it; a modal over it does not.
        event.stop()
        if self.typing and self.screen is self.app.screen:
            self.close_prompt(focus_tree=False)

    def clear(self) -> None:
        """End the search: `n`/`N` go back to moving between failures."""
        self.workers.cancel_group(self, "step-search")
        self.matches = None
        if self.children:
            self.input.remove_class("-typing")
        self.remove_class("-shown", "-has-status")
        self._screen.refresh_bindings()

    def move(self, direction: int) -> None:
        """Move the cursor to the next (1) or previous (-1) match, wrapping around."""
        matches = self.matches
        if matches is None or not matches.indexes:
            return
        target = next_match(matches, self._screen.step_view.selected_node, direction)
        self._land(matches, target)

    @on(Input.Submitted, "#step-search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.clear()
            self._screen.step_view.focus()
            return
        self.close_prompt()
        self._show(Text(f"/{one_line(text, 60)}  searching the whole run …"))
        self._find(text)

    @work(exclusive=True, group="step-search")
    async def _find(self, text: str) -> None:
        """Ask the server which entries mention `text`, then land on the first match."""
        screen = self._screen
        store = wflog_app(self).store
        if store.info.json_type("steps_log") is None:
            self._show(Text("Searching inside a run needs steps_log to be a json or jsonb column."))
            return
        try:
            async with screen.live.lock:
                found = await store.find_in_steps(screen.run_id, text, limit=MATCH_LIMIT + 1)
        except StoreError as error:
            if screen.live.on_screen:
                self._show(Text(f"Search failed: {one_line(error.message, 200)}"))
            return
        tree = screen.step_tree
        if not screen.live.on_screen or tree is None:
            return
        matches = _matches_on(tree, text, found)
        self.matches = matches
        screen.refresh_bindings()
        if matches.indexes:
            self._land(matches, first_match(matches, screen.step_view.selected_node))
        else:
            self._show(matches.status())

    def _land(self, matches: StepMatches, target: int) -> None:
        self.matches = StepMatches(
            matches.text, matches.indexes, matches.keys, target, matches.capped
        )
        screen = self._screen
        if screen.step_view.select_keys(matches.keys[target]):
            node = screen.step_view.selected_node
            if node is not None:
                screen.detail_pane.point_at(node, matches.text)
        self._show(self.matches.status())

    def _show(self, line: Text) -> None:
        self._parts()[1].update(line)
        self.add_class("-shown", "-has-status")


def _matches_on(tree: StepTree, text: str, found: list[int]) -> StepMatches:
    """The matches the tree can show (an entry a running run logged after the tree was
    built has no node yet), with their key paths."""
    indexes, keys = [], []
    for index in found[:MATCH_LIMIT]:
        path = tree.keys_of_entry(index)
        if path:
            indexes.append(index)
            keys.append(tuple(path))
    return StepMatches(text, tuple(indexes), tuple(keys), capped=len(found) > MATCH_LIMIT)
