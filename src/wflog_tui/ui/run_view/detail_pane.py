"""The detail pane of the run view: everything about the selected node, in tabs.

Input, Output, Error, Timing, Data flow, Raw and the run's input. The run view calls `show`
each time the cursor moves, so `show` stays cheap: only the tab on screen is drawn (the
others when they are shown, their widgets made then too), JSON trees are built lazily by
`JsonView`, and long error text is cut. Every string from the database reaches the screen
as `Text` built through `display_text`, never as markup.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.widget import AwaitMount, Widget
from textual.widgets import Static, TabbedContent, TabPane

from wflog_tui.model import status as st
from wflog_tui.model.display_text import escape_control, one_line
from wflog_tui.model.durations import format_duration, format_instant
from wflog_tui.model.entries import MISSING, StepEntry, StepError
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.loop_status import loop_status
from wflog_tui.model.match_place import match_place
from wflog_tui.model.provenance import format_path
from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_identity import label_parts
from wflog_tui.model.step_tree import LoopNode, NodeKind, StepNode, StepTree
from wflog_tui.ui.run_view.data_flow import DataFlowView
from wflog_tui.ui.run_view.waterfall import Waterfall
from wflog_tui.ui.widgets.json_view import JsonView
from wflog_tui.ui.widgets.status_text import status_text

TABS: Final = ("input", "output", "error", "timing", "data-flow", "raw", "run-input")
"""Tab ids, in the order of their keys `1`…`7`."""

TAB_NAMES: Final = {
    "input": "Input",
    "output": "Output",
    "error": "Error",
    "timing": "Timing",
    "data-flow": "Data flow",
    "raw": "Raw",
    "run-input": "Run input",
}
"""Each tab's name, by id, in the order of their keys."""
# Which tab `reveal` opens for a provenance field.
_TAB_OF_FIELD: Final = {"input": "input", "output": "output", "input_payload": "run-input"}
# What takes focus when the user switches tab with a key.
_FOCUS_OF_TAB: Final = {
    "input": "input-json",
    "output": "output-json",
    "error": "error-scroll",
    "timing": "waterfall-scroll",
    "data-flow": "flow-inputs",
    "raw": "raw-json",
    "run-input": "run-input-json",
}
# Error messages and stacks beyond this are cut in the Error tab; Raw still holds them whole.
ERROR_TEXT_LIMIT: Final = 100_000


# Tabs whose widgets compose children of their own as they mount: drawn once they have.
_COMPOSITE: Final = frozenset({"timing", "data-flow"})


def _parts(tab: str) -> list[Widget]:
    """The widgets of tab `tab`, made when it is first shown."""
    if tab == "error":
        return [VerticalScroll(id="error-scroll")]  # its text is mounted in it (`_draw`)
    if tab == "timing":
        return [Static(Text(""), id="timing-text"), Waterfall(id="waterfall")]
    if tab == "data-flow":
        return [DataFlowView(id="data-flow-view")]
    root = {"input": "input", "output": "output", "raw": "entry", "run-input": "input_payload"}
    return [
        Static(Text(""), id=f"{tab}-note", classes="detail-note"),
        JsonView(None, root_label=root[tab], id=f"{tab}-json"),
    ]


def _is_failed(node: StepNode | None) -> bool:
    """True when the node deserves the Error tab: failed, timed out, errored or malformed."""
    if node is None:
        return False
    if node.kind is NodeKind.MALFORMED or node.unexpected_termination:
        return True
    if st.is_failure(node.rollup_status) or st.is_failure(node.status):
        return True
    entry = node.entry
    return entry is not None and node.kind is not NodeKind.LOOP and entry.error is not None


def _attempt_of(node: StepNode) -> tuple[int, int] | None:
    """(this attempt, all attempts) for a retried step or one of its attempts."""
    if node.kind is NodeKind.ATTEMPT and node.parent is not None:
        # From the key: a step of very many attempts builds only the ones shown.
        return node.attempt_number or 0, node.parent.attempts
    if node.attempts > 1 and node.kind is not NodeKind.LOOP:
        return node.attempts, node.attempts
    return None


def _iteration_of(node: StepNode, tree: StepTree) -> tuple[int, int] | None:
    """(iteration, iterations of the loop) for an iteration node or a step inside one."""
    if node.kind is NodeKind.ITERATION and isinstance(node.parent, LoopNode):
        return node.iteration or 0, node.parent.iteration_count
    entry = node.entry
    if entry is None or entry.iteration is None:
        return None
    loop = tree.loop_of(entry)
    total = loop.iteration_count if loop is not None else entry.total_items or 0
    return entry.iteration, max(total, entry.iteration)


def _key_path(node: StepNode) -> tuple[str, ...]:
    return tuple(n.key for n in node.path)


# The tabs that show a field a data-flow jump can target.
_FIELD_OF_TAB = {"input": "input", "output": "output", "run-input": "input_payload"}
_JSON_TABS: Final = frozenset({"input", "output", "raw", "run-input"})


class DetailPane(Widget):
    """Tabs about the selected node of a run: its data, error, timing and data flow."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show_tab('input')", "Input"),
        Binding("2", "show_tab('output')", "Output"),
        Binding("3", "show_tab('error')", "Error"),
        Binding("4", "show_tab('timing')", "Timing"),
        Binding("5", "show_tab('data-flow')", "Data flow"),
        Binding("6", "show_tab('raw')", "Raw"),
        Binding("7", "show_tab('run-input')", "Run input"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | 1 … 7 | Input, Output, Error, Timing, Data flow, Raw, Run input. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "detail-pane--label",
        "detail-pane--warning",
        "detail-pane--quiet",
    }
    """
    Status words take the theme's status colours (`status_text`).

    | Class | Description |
    | :- | :- |
    | `detail-pane--label` | The step's name in the title and field names. |
    | `detail-pane--warning` | Data problems and unexpected termination. |
    | `detail-pane--quiet` | Separators and notes. |
    """

    DEFAULT_CSS = """
    DetailPane {
        height: 1fr;
        & > #detail-title { height: auto; max-height: 3; padding: 0 1; }
        & > TabbedContent { height: 1fr; }
        & TabPane { padding: 0; height: 1fr; }
        & .detail-note { height: auto; padding: 0 1; }
        & .detail-note.-empty { display: none; }
        & JsonView { height: 1fr; }
        & #error-scroll { height: 1fr; padding: 0 1; }
        & #timing-text { height: auto; padding: 0 1; }
        & > .detail-pane--label { text-style: bold; }
        & > .detail-pane--warning { color: $text-warning; }
        & > .detail-pane--quiet { text-style: dim; }
    }
    """

    class JumpRequested(Message):
        """The user asked to go to a data-flow source, or to a later step using an output.

        The run view selects the node of `entry_index`, calls `show` with it, then
        `reveal(field, json_path)`. `entry_index` is None for the run's `input_payload`:
        keep the selection and only `reveal`.
        """

        def __init__(
            self, entry_index: int | None, field: str, json_path: tuple[str | int, ...]
        ) -> None:
            self.entry_index = entry_index
            """The `steps_log` position of the entry to select, or None for the run input."""
            self.field = field
            """`"input"`, `"output"` or `"input_payload"`."""
            self.json_path = json_path
            """The path inside that field to select."""
            super().__init__()

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        """An empty pane; `show` fills it."""
        super().__init__(name=name, id=id, classes=classes)
        self._node: StepNode | None = None
        self._tree: StepTree | None = None
        self._detail: RunDetail | None = None
        self._run_input_of: RunDetail | None = None
        # The tab the user chose last; failed nodes open on Error without forgetting it.
        self._user_tab = "input"
        self._stale: set[str] = set()
        # Tabs whose widgets are being made, and the one to focus once they are.
        self._mounting: set[str] = set()
        self._focus_when_made: str | None = None
        # A search's match to open once its node is shown whole: (node, text, shown yet).
        self._pointer: tuple[StepNode, str, bool] | None = None

    @property
    def node(self) -> StepNode | None:
        """The node shown."""
        return self._node

    @property
    def active_tab(self) -> str:
        """The id of the tab on screen: one of `TABS`."""
        return self.query_one(TabbedContent).active

    def compose(self) -> ComposeResult:
        """A title line above the tabs; a tab's widgets are made the first time it is shown
        (`_parts`): a run opens on one tab, and making and styling the others would cost
        its first frame about as much as the rest of the pane."""
        yield Static(Text("No step selected"), id="detail-title")
        with TabbedContent(initial="input"):
            for tab, name in TAB_NAMES.items():
                yield TabPane(name, id=tab)

    # The run view's API

    def show(
        self, node: StepNode | None, *, tree: StepTree, detail: RunDetail, force: bool = False
    ) -> None:
        """Show `node` of `tree`, a node of the run `detail`.

        Failed nodes open on the Error tab; others on the tab the user chose last. Showing
        the node already shown does nothing, so a late highlight cannot undo a `reveal`;
        `force` draws it again, for when its payloads have just arrived.
        """
        if not force and node is self._node and tree is self._tree and detail is self._detail:
            return
        self._node, self._tree, self._detail = node, tree, detail
        if self.is_mounted:
            self._show_node()

    def on_mount(self) -> None:
        """Draw what `show` was given before the pane was on screen, if anything."""
        if self._tree is not None:
            self._show_node()

    def _show_node(self) -> None:
        node, detail = self._node, self._detail
        self._show_title()
        # Only the tab on screen is drawn now; the others when they are shown.
        self._stale = set(TABS) if detail is not self._run_input_of else set(TABS) - {"run-input"}
        self._switch_to("error" if _is_failed(node) else self._user_tab)
        self._open_pointer()

    def point_at(self, node: StepNode, text: str) -> None:
        """Once `node` is shown with its payloads (a skeleton's after their fill), open the
        tab where a search's `text` is (Input, Output or Error; none when it is the step's
        id or name) and select the key or value that holds it. Focus stays where it is.
        """
        self._pointer = (node, text, False)
        self._open_pointer()

    def _open_pointer(self) -> None:
        if self._pointer is None or not self.is_mounted:
            return
        node, text, seen = self._pointer
        if node is not self._node:
            # The node is shown after the tree's highlight; once it was, another node means
            # the reader moved on.
            if seen:
                self._pointer = None
            return
        entry = node.entry
        if entry is not None and entry.payload_pending:
            self._pointer = (node, text, True)
            return
        self._pointer = None
        place = None if entry is None else match_place(entry, text)
        if place is None or place.field == "step":
            return
        self._switch_to(place.field)
        if place.field in ("input", "output") and place.json_path:
            self.query_one(f"#{place.field}-json", JsonView).select_path(place.json_path)

    def location(self) -> tuple[str | None, tuple]:
        """The field and JSON path the pane has selected, to come back to them."""
        field = _FIELD_OF_TAB.get(self.active_tab)
        if field is None:
            return None, ()
        try:
            view = self.query_one(f"#{self.active_tab}-json", JsonView)
        except NoMatches:
            return field, ()
        return field, tuple(view.selected_path or ())

    def reveal(self, field: str, json_path: tuple) -> None:
        """Open the tab of `field` and select `json_path` in it.

        `"input"` and `"output"` are the shown entry's; `"input_payload"` is the run's input,
        in the Run input tab. Says so in a notification when the path is not there.
        """
        tab = _TAB_OF_FIELD.get(field)
        if tab is None:
            self.notify(f"Cannot show the field {one_line(field, 40)}", markup=False)
            return
        self._user_tab = tab
        self._switch_to(tab)
        view = self.query_one(f"#{tab}-json", JsonView)
        view.focus()
        if not view.select_path(tuple(json_path)):
            where = format_path(view.root_label, json_path)
            self.notify(
                f"{one_line(where, 120)} is not in what this step recorded",
                severity="warning",
                markup=False,
            )

    def action_show_tab(self, tab: str) -> None:
        """Switch to `tab` (one of `TABS`), remember it, and move focus onto it."""
        self.show_tab(tab, focus=True)

    def show_tab(self, tab: str, *, focus: bool) -> None:
        """Switch to `tab` (one of `TABS`) and remember it as the user's choice; `focus`
        moves the keyboard onto it (the screen's keys leave focus where it was)."""
        if tab not in TABS:
            return
        self._user_tab = tab
        self._switch_to(tab)
        if focus:
            self._focus_tab(tab)

    def _focus_tab(self, tab: str) -> None:
        try:
            target = self.query_one(f"#{_FOCUS_OF_TAB[tab]}")
        except NoMatches:  # its widgets are being made: focused once they are
            self._focus_when_made = tab
            return
        if target.display and target.focusable:
            target.focus()

    def run_on_json(self, action: str) -> None:
        """Run a JSON view's `action` (`copy_path`, …) on the tab on screen, whatever has
        focus: the screen forwards its JSON keys here."""
        tab = self.active_tab
        if tab not in _JSON_TABS:
            self.notify("This tab shows no JSON: press 1, 2, 6 or 7.", markup=False, timeout=2)
            return
        self._draw(tab)
        target = self.query_one(f"#{tab}-json", JsonView)
        if target.cursor_node is None:
            # Never focused yet: act on the whole value, as its first line shows it.
            target.cursor_line = 0
        getattr(target, f"action_{action}")()

    # Tabs

    def _switch_to(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != tab:
            # Only the user's own tab changes (clicks) should be remembered as choices.
            with self.prevent(TabbedContent.TabActivated):
                tabs.active = tab
        self._draw(tab)

    @on(TabbedContent.TabActivated)
    def _tab_chosen(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        if pane in TABS:
            self._user_tab = pane
            if self._tree is not None:  # not the first tab's own activation: nothing yet
                self._draw(pane)

    def _draw(self, tab: str) -> None:
        """Make `tab`'s widgets if they are not yet, and draw it if it is out of date."""
        pane = self.query_one(f"#{tab}", TabPane)
        if not pane.is_attached:
            # The tabs are still being mounted: draw once they are (not if the view goes).
            if self.is_attached:
                self.call_after_refresh(self._draw, tab)
            return
        if tab in self._mounting:
            return  # drawn by `_draw_once_mounted`, if still on screen then
        if not pane.children:
            mounting = pane.mount(*_parts(tab))
            if not pane.children:
                return  # the view is being taken down: Textual mounts nothing then
            if tab in _COMPOSITE:
                self._mounting.add(tab)
                self.call_next(self._draw_once_mounted, mounting, tab)
                return
            if tab == "error":
                # Mounted into the scroll now, not passed to it: a child given to a
                # container is only in the DOM (and found by a query) once that mounts.
                self.query_one("#error-scroll").mount(Static(Text(""), id="error-text"))
        if tab not in self._stale or self._tree is None or self._detail is None:
            return
        self._stale.discard(tab)
        if tab in ("input", "output"):
            self._show_data(tab)
        elif tab == "error":
            self._show_error()
        elif tab == "timing":
            self._show_timing()
        elif tab == "data-flow":
            self.query_one(DataFlowView).show(self._node, tree=self._tree, detail=self._detail)
        elif tab == "raw":
            self._show_raw()
        else:
            self._run_input_of = self._detail
            self._show_run_input()

    async def _draw_once_mounted(self, mounting: AwaitMount, tab: str) -> None:
        await mounting
        self._mounting.discard(tab)
        if self.query_one(TabbedContent).active == tab:
            self._draw(tab)
            if self._focus_when_made == tab:
                self._focus_tab(tab)
        self._focus_when_made = None

    @on(DataFlowView.JumpRequested)
    def _pass_jump_on(self, event: DataFlowView.JumpRequested) -> None:
        event.stop()
        target = event.target
        self.post_message(self.JumpRequested(target.entry_index, target.field, target.json_path))

    # Rendering

    def _style(self, name: str) -> Any:
        return self.get_component_rich_style(f"detail-pane--{name}", partial=True)

    def _status_text(self, status: str) -> Text:
        return status_text(status, self.app.theme_variables)

    def _show_title(self) -> None:
        node, tree = self._node, self._tree
        title = self.query_one("#detail-title", Static)
        if node is None or tree is None:
            title.update(Text("No step selected"))
            return
        quiet = self._style("quiet")
        names = label_parts(node)
        parts: list[Text] = [Text(one_line(names.name, 80), style=self._style("label"))]
        if names.step_id is not None:
            parts[0].append(f" {one_line(names.step_id, 80)}", style=quiet)
        entry = node.entry
        if node.kind is NodeKind.LOOP:
            parts.append(Text("loop", style=quiet))
        elif entry is not None and entry.operation:
            parts.append(Text(one_line(entry.operation, 40), style=quiet))
        status = node.rollup_status if isinstance(node, LoopNode) else node.status
        parts.append(self._status_text(status))
        if isinstance(node, LoopNode):
            # What the loop's own entry recorded, where it differs from what it rolls up to.
            explanation = loop_status(node).explanation
            if explanation:
                parts.append(Text(explanation, style=quiet))
        attempt = _attempt_of(node)
        if attempt is not None:
            parts.append(Text(f"attempt {attempt[0]:,} of {attempt[1]:,}"))
        iteration = _iteration_of(node, tree)
        if iteration is not None:
            parts.append(Text(f"iteration {iteration[0]:,} of {iteration[1]:,}"))
        if isinstance(node, LoopNode):
            parts.append(Text(one_line(node.summary(), 80)))
        if node.duration_ms is not None:
            parts.append(Text(format_duration(node.duration_ms)))
        if node.unexpected_termination:
            parts.append(Text("⚠ unexpected termination", style=self._style("warning")))
        if node.malformed is not None:
            parts.append(Text(f"⚠ {one_line(node.malformed.reason, 80)}", self._style("warning")))
        if entry is not None:
            for problem in entry.problems[:5]:
                parts.append(Text(f"⚠ {one_line(problem, 80)}", style=self._style("warning")))
        title.update(Text(" · ", style=quiet).join(parts))

    def _note(self, which: str, text: Text | str | None) -> None:
        note = self.query_one(f"#{which}-note", Static)
        note.set_class(not text, "-empty")
        note.update(text if isinstance(text, Text) else Text(text or ""))

    def _show_data(self, field: str) -> None:
        """Fill the Input or Output tab: a JSON tree, or a note saying why there is none."""
        node = self._node
        view = self.query_one(f"#{field}-json", JsonView)
        value: Any = MISSING
        note: str | None = None
        root = field
        if node is None:
            note = "Select a step to see its " + field + "."
        elif node.kind is NodeKind.MALFORMED:
            note = "Not a step, so no " + field + ": see the Error and Raw tabs."
        elif node.kind is NodeKind.ITERATION:
            loop = node.parent if isinstance(node.parent, LoopNode) else None
            number = node.iteration or 0
            if field == "output":
                note = "An iteration has no output of its own: select one of its steps."
            elif (
                loop is not None and loop.collection is not None and number <= len(loop.collection)
            ):
                value = loop.item(number)
                step_id = loop.entry.step_id if loop.entry is not None else None
                root = format_path(step_id or "loop", ("output", "collection", number - 1))
                note = f"Iteration {number:,} works on this item of the loop's collection."
            else:
                note = "The loop logged no collection, so this iteration's item is unknown."
        elif node.entry is None:
            note = "No entry was logged for this node."
        elif node.entry.payload_pending:
            note = f"Loading the {field} …"
        else:
            value = getattr(node.entry, field)
            if value is MISSING:
                note = f"No {field} recorded"
            elif value is None:
                note = f"The {field} was recorded as null."
        view.display = value is not MISSING
        view.set_value(None if value is MISSING else value, root_label=root)
        self._note(field, note)

    def _show_raw(self) -> None:
        node, view = self._node, self.query_one("#raw-json", JsonView)
        value: Any = None
        note: str | None = None
        root = "entry"
        if node is None:
            note = "Select a step to see its raw entry."
        elif node.malformed is not None:
            value, root = node.malformed.raw, f"steps_log[{node.malformed.index}]"
            note = f"Not a step: {one_line(node.malformed.reason, 200)}"
        elif node.kind is NodeKind.ITERATION and isinstance(node.parent, LoopNode):
            loop, number = node.parent, node.iteration or 0
            members = loop.members.get(number, [])
            value = {"entries": [member.raw for member in members]}
            if loop.collection is not None and 0 < number <= len(loop.collection):
                value = {"item": loop.item(number), **value}
            root = f"iteration {number:,}"
            note = (
                f"Iteration {number:,}: its item from the loop's collection and its "
                f"{len(members):,} entr{'y' if len(members) == 1 else 'ies'}."
            )
        elif node.entry is not None:
            value, root = node.entry.raw, f"steps_log[{node.entry.index}]"
            if node.entry.payload_pending:
                note = "Loading the whole entry; this is it without its input and output."
        else:
            note = "No entry was logged for this node."
        view.display = node is not None and (node.entry is not None or value is not None)
        view.set_value(value, root_label=root)
        self._note("raw", note)

    def _show_run_input(self) -> None:
        detail = self._detail
        view = self.query_one("#run-input-json", JsonView)
        value = detail.input_payload if detail is not None else None
        view.set_value(value, root_label="input_payload")
        self._note("run-input", "The event payload that triggered the run (input_payload).")

    def _show_error(self) -> None:
        self.query_one("#error-text", Static).update(self._error_text())
        self.query_one("#error-scroll", VerticalScroll).scroll_home(animate=False)

    def _error_text(self) -> Text:
        node, tree = self._node, self._tree
        text = Text(end="")
        if node is None or tree is None:
            text.append("Select a step to see its error.")
            return text
        label, warning, quiet = self._style("label"), self._style("warning"), self._style("quiet")
        if node.malformed is not None:
            text.append("Not a step: ", style=label)
            text.append(escape_control(node.malformed.reason, keep_newlines=True))
            text.append("\n\nThe value found in steps_log:\n", style=label)
            self._append_long(text, to_json_text(node.malformed.raw, indent=True))
            return text
        if node.unexpected_termination:
            text.append(
                "⚠ Unexpected termination: the step has no end although the run has ended.\n\n",
                style=warning,
            )
        entry = node.entry
        if node.kind in (NodeKind.LOOP, NodeKind.ITERATION) and (
            entry is None or entry.error is None
        ):
            failing, count = self._failing_below(node)
            if failing is None:
                text.append("No step below this node failed.")
                return text
            where = f"{one_line(failing.label, 80)}"
            if failing.iteration is not None and node.kind is NodeKind.LOOP:
                where += f" in iteration {failing.iteration:,}"
            text.append(f"{one_line(st.word(failing.status), 30)}: ", style=label)
            text.append(where)
            if count > 1:
                text.append(f" (the first of {count:,} failed steps)", style=quiet)
            text.append("\n\n")
            entry = failing
        if entry is None:
            text.append("No entry was logged for this node.")
            return text
        if entry.error is None:
            if st.is_failure(entry.status):
                text.append(f"{st.word(entry.status)} with no error recorded.")
            else:
                text.append("No error recorded.")
        else:
            self._append_error(text, entry.error)
        attempt = _attempt_of(node)
        if node.kind is NodeKind.STEP and attempt is not None:
            # Sliced before reading: a polling step can have 200,000 earlier attempts.
            earlier = node.entries[: min(50, node.attempts - 1)]
            text.append(f"\n\nEarlier attempts ({node.attempts - 1:,}):", style=label)
            for number, previous in enumerate(earlier, start=1):
                message = previous.error.message if previous.error else "no error recorded"
                text.append(f"\n  attempt {number:,}  ")
                text.append_text(self._status_text(previous.status))
                text.append(f"  {one_line(message, 200)}")
        return text

    def _append_error(self, text: Text, error: StepError) -> None:
        label = self._style("label")
        if error.name:
            text.append("Name     ", style=label)
            text.append(one_line(error.name, 200) + "\n")
        text.append("Message  ", style=label)
        self._append_long(text, error.message or "(empty)")
        if error.stack:
            text.append("\n\nStack\n", style=label)
            self._append_long(text, error.stack)

    def _append_long(self, text: Text, value: str) -> None:
        cut = value[:ERROR_TEXT_LIMIT]
        text.append(escape_control(cut, keep_newlines=True).expandtabs(4))
        if len(value) > ERROR_TEXT_LIMIT:
            text.append(
                f"\n… cut at {ERROR_TEXT_LIMIT:,} of {len(value):,} characters; "
                "the Raw tab holds it whole.",
                style=self._style("quiet"),
            )

    def _failing_below(self, node: StepNode) -> tuple[StepEntry | None, int]:
        """The first failed entry under a loop or iteration, and how many there are."""
        tree = self._tree
        assert tree is not None
        prefix = _key_path(node)
        first: StepEntry | None = None
        count = 0
        for failure in tree.failures:
            if failure.keys[: len(prefix)] == prefix and len(failure.keys) > len(prefix):
                count += 1
                if first is None:
                    found = tree.entries[failure.entry_index]
                    first = found if isinstance(found, StepEntry) else None
        return first, count

    def _show_timing(self) -> None:
        node, tree, detail = self._node, self._tree, self._detail
        assert tree is not None and detail is not None
        text = Text(end="")
        label = self._style("label")
        if node is None:
            text.append("Select a step to see its timing.")
        else:
            text.append("Started   ", style=label)
            text.append(format_instant(node.started_at))
            text.append("\nEnded     ", style=label)
            text.append(format_instant(node.ended_at))
            if node.ended_at is None and node.started_at is not None:
                text.append("  (no end recorded)", style=self._style("warning"))
            text.append("\nDuration  ", style=label)
            text.append(format_duration(node.duration_ms))
            entry = node.entry
            if entry is not None and entry.duration_derived and node.kind is not NodeKind.LOOP:
                text.append("  (from startedAt and endedAt; no durationMs)", self._style("quiet"))
            if node.kind is NodeKind.STEP and node.attempts > 1:
                for number, attempt in enumerate(node.entries[:50], start=1):
                    text.append(f"\n  attempt {number:,}  ")
                    text.append_text(self._status_text(attempt.status))
                    text.append(f"  {format_duration(attempt.duration_ms)}")
        self.query_one("#timing-text", Static).update(text)
        self.query_one(Waterfall).show(
            tree,
            node,
            run_started=detail.summary.started_at,
            run_ended=detail.summary.ended_at,
        )
