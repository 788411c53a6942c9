"""The Data flow tab: where each input value of a step came from, and who used its output.

Provenance is pure but can take a while on multi-megabyte inputs, so it runs in a thread
worker; the tree is read on the UI thread first (finding a loop may build its iteration) and
only plain entries cross into the worker. Every path and value shown comes from the data, so
cells are `Text` built through `display_text`, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from wflog_tui.model.display_text import one_line
from wflog_tui.model.entries import MISSING, StepEntry
from wflog_tui.model.json_text import to_json_text
from wflog_tui.model.provenance import (
    LeafTrace,
    Match,
    OutputUse,
    SourceKind,
    trace_input,
    trace_output_uses,
)
from wflog_tui.model.run import RunDetail
from wflog_tui.model.step_tree import NodeKind, StepNode, StepTree

VALUE_LIMIT: Final = 40
"""Characters of a value shown in its cell."""
FULL_VALUE_LIMIT: Final = 2000
"""Characters of the selected row's value shown whole beneath the table."""
PATH_LIMIT: Final = 80
"""Characters of a path shown in its cell."""
MAX_USES: Final = 500
"""Uses of an output listed at most; the heading says when there may be more."""

_KIND_WORDS: Final = {
    SourceKind.RUN_INPUT: "run input",
    SourceKind.TRIGGER_OUTPUT: "trigger",
    SourceKind.LOOP_ITEM: "loop item",
    SourceKind.STEP_OUTPUT: "step",
}


@dataclass(frozen=True, slots=True)
class JumpTarget:
    """Where `enter` on a row goes: an entry's field (or the run's input) and a path in it."""

    entry_index: int | None
    field: str
    json_path: tuple[str | int, ...]


def value_text(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A leaf's value on one line, cut to `limit`: strings quoted, other values as JSON."""
    if isinstance(value, str):
        return '"' + one_line(value, max(limit - 2, 1)) + '"'
    return one_line(to_json_text(value), limit)


def _path_text(path: str) -> str:
    return one_line(path, PATH_LIMIT)


def trace_rows(
    traces: Sequence[LeafTrace],
) -> list[tuple[tuple[Text, Text, Text, Text, Text], JumpTarget | None]]:
    """The input table's rows: one per source of each leaf, a literal or unresolved row else.

    A leaf with several sources gets one row each, the later ones with the path left blank,
    so each row jumps to exactly one place.
    """
    rows: list[tuple[tuple[Text, Text, Text, Text, Text], JumpTarget | None]] = []
    for trace in traces:
        path = Text(_path_text(trace.path))
        value = Text(value_text(trace.value))
        first = True
        if trace.unresolved_ref is not None:
            rows.append(
                (
                    (
                        path,
                        Text("!ref(" + one_line(trace.unresolved_ref, PATH_LIMIT) + ")"),
                        Text("⚠ unresolved", style="bold"),
                        value,
                        Text("the reference did not resolve", style="dim"),
                    ),
                    None,
                )
            )
            first = False
        elif trace.is_literal:
            rows.append(
                (
                    (path, Text("—"), Text("literal", style="dim"), value, Text("")),
                    None,
                )
            )
            continue
        for source in trace.sources:
            match = Text(source.match.value, style="bold" if source.match is Match.EXACT else "")
            where = _KIND_WORDS.get(source.kind, source.kind.value)
            if source.kind is not SourceKind.RUN_INPUT:
                where = f"{where} · {one_line(source.step_label, 40)}"
            # The source comes right after the path: it is what the tab is for, and on a
            # narrow pane the columns to the right are the ones that get cut.
            cells = (
                path if first else Text("  ↳ or", style="dim"),
                Text(_path_text(source.path)),
                match,
                value if first else Text(""),
                Text(where, style="dim"),
            )
            rows.append((cells, JumpTarget(source.entry_index, source.field, source.json_path)))
            first = False
    return rows


def use_rows(
    uses: Sequence[OutputUse], iterations: Mapping[int, int | None] | None = None
) -> list[tuple[tuple[Text, Text, Text, Text], JumpTarget]]:
    """The "used by" table's rows: output path, the later step, its input path, the match.

    `iterations` gives the loop iteration of a user entry by index, so that five hundred uses
    by one step of a loop read as different iterations.
    """
    rows = []
    for use in uses:
        user = one_line(use.user_label, 40)
        iteration = iterations.get(use.user_entry_index) if iterations else None
        if iteration is not None:
            user += f" · iteration {iteration:,}"
        rows.append(
            (
                (
                    Text(_path_text(use.output_path)),
                    Text(user),
                    Text(_path_text(use.input_path)),
                    Text(use.match.value),
                ),
                JumpTarget(use.user_entry_index, "input", use.input_json_path),
            )
        )
    return rows


class TraceTable(DataTable):
    """A table whose rows each lead somewhere; `enter` or `g` asks to go there."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "jump", "Jump to source"),
        Binding("g", "jump", "Jump to source", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        """An empty table with a row cursor."""
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.targets: list[JumpTarget | None] = []

    def action_jump(self) -> None:
        """Ask to jump to the row's target; a literal or unresolved row goes nowhere."""
        row = self.cursor_row
        target = self.targets[row] if 0 <= row < len(self.targets) else None
        if target is None:
            self.app.bell()
            return
        self.post_message(DataFlowView.JumpRequested(target))


class DataFlowView(Widget):
    """For one step entry: its input leaves with their sources, and its output's later uses."""

    DEFAULT_CSS = """
    DataFlowView {
        height: 1fr;
        & > .data-flow--heading { height: auto; padding: 0 1; text-style: bold; }
        & > #flow-inputs { height: auto; max-height: 55%; }
        & > #flow-value {
            height: auto; max-height: 6; padding: 0 1; background: $boost;
        }
        & > #flow-uses { height: auto; max-height: 35%; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "search_all", "Search all later steps"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | a | Big run: load every later step not loaded yet, and search them all for uses. |
    """

    class JumpRequested(Message):
        """Posted when the user asks to go to a row's source or user; the pane passes it on."""

        def __init__(self, target: JumpTarget) -> None:
            self.target = target
            """Where to go."""
            super().__init__()

    class SearchAllRequested(Message):
        """Posted when the user asks for every later step to be loaded and searched (a big
        run's skeleton leaves most of them unloaded); the run view loads them."""

        def __init__(self, entry: StepEntry) -> None:
            self.entry = entry
            """The step whose output's uses are wanted."""
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        """An empty view; `show` fills it."""
        super().__init__(id=id)
        self._token = 0
        self.entry: StepEntry | None = None
        self.traces: list[LeafTrace] = []
        self.uses: list[OutputUse] = []
        self.unsearched = 0
        """Later steps the last trace could not search: not loaded (a big run's skeleton)."""
        self._values: list[str] = []

    def compose(self) -> ComposeResult:
        """A heading and table for the input, another pair for the output's uses."""
        yield Static("", id="flow-summary", classes="data-flow--heading")
        table = TraceTable(id="flow-inputs")
        table.add_columns("Input path", "Source", "Match", "Value", "From")
        yield table
        # The Value column is narrow on any pane: the selected row's value, whole, here.
        yield Static("", id="flow-value", markup=False)
        yield Static("", id="flow-uses-heading", classes="data-flow--heading")
        uses = TraceTable(id="flow-uses")
        uses.add_columns("Output path", "Used by", "As", "Match")
        yield uses

    def show(self, node: StepNode | None, *, tree: StepTree, detail: RunDetail) -> None:
        """Trace `node`'s entry in a worker; groups and malformed nodes get a message instead."""
        self._token += 1
        entry = node.entry if node is not None else None
        if node is None or node.kind not in (NodeKind.STEP, NodeKind.TRIGGER, NodeKind.ATTEMPT):
            entry = None
        self.entry = entry
        self.traces, self.uses = [], []
        self.unsearched = 0
        self.refresh_bindings()
        self._clear()
        if entry is None:
            self._summary("Select a step to trace its input.")
            return
        if entry.payload_pending:
            # Tracing now would call every value a literal; the pane shows us again once
            # the payloads are in.
            self._summary(f"Loading the input of {one_line(entry.label, 60)}…")
            return
        self._summary(f"Tracing the input of {one_line(entry.label, 60)}…")
        loop = tree.loop_of(entry)
        self._trace(
            self._token,
            entry,
            run_input=detail.input_payload,
            trigger=tree.trigger,
            loop=loop.entry if loop is not None else None,
            earlier=tree.earlier_in_scope(entry),
            # A generator: later entries of a 100,000-entry run are parsed on first use, and
            # that parsing belongs in the worker, which stops reading once it has enough.
            later=tree.later_than(entry),
        )

    @work(thread=True, exclusive=True, group="data-flow")
    def _trace(
        self,
        token: int,
        entry: StepEntry,
        *,
        run_input: Any,
        trigger: StepEntry | None,
        loop: StepEntry | None,
        earlier: list[StepEntry],
        later: Iterable[StepEntry],
    ) -> None:
        traces = trace_input(
            entry, run_input=run_input, trigger=trigger, loop=loop, earlier=earlier
        )
        iterations: dict[int, int | None] = {}
        # Steps of a big run's skeleton whose payloads are not loaded cannot be searched.
        unsearched = 0

        def noting_iterations() -> Iterator[StepEntry]:
            nonlocal unsearched
            for user in later:
                iterations[user.index] = user.iteration
                unsearched += user.payload_pending
                yield user

        uses = trace_output_uses(entry, noting_iterations(), max_uses=MAX_USES)
        inputs, outputs = trace_rows(traces), use_rows(uses, iterations)
        # Each row's value whole, for the line beneath the table (`trace_rows` cuts it).
        values = [
            value_text(trace.value, FULL_VALUE_LIMIT)
            for trace in traces
            for _row in trace_rows([trace])
        ]
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(
            self._fill, token, entry, traces, uses, inputs, outputs, unsearched, values
        )

    def _fill(
        self,
        token: int,
        entry: StepEntry,
        traces: list[LeafTrace],
        uses: list[OutputUse],
        inputs: list[tuple[tuple[Text, ...], JumpTarget | None]],
        outputs: list[tuple[tuple[Text, ...], JumpTarget]],
        unsearched: int = 0,
        values: list[str] | None = None,
    ) -> None:
        if token != self._token:
            return  # the cursor moved on while this was being traced
        self._values = values or []
        self.traces, self.uses = traces, uses
        self.unsearched = unsearched
        self.refresh_bindings()
        inputs_table = self.query_one("#flow-inputs", TraceTable)
        uses_table = self.query_one("#flow-uses", TraceTable)
        for cells, target in inputs:
            inputs_table.add_row(*cells)
            inputs_table.targets.append(target)
        for cells, target in outputs:
            uses_table.add_row(*cells)
            uses_table.targets.append(target)
        self._summary(self._input_summary(entry, traces))
        heading = self.query_one("#flow-uses-heading", Static)
        if entry.output is MISSING:
            heading.update(Text("No output recorded, so no later step can have used it."))
            return
        if not uses:
            text = Text("No later step's input holds a value of this output")
        elif len(uses) >= MAX_USES:
            text = Text(f"Output used by later steps: the first {len(uses):,} uses")
        else:
            text = Text(f"Output used by later steps: {len(uses):,} use{'s' * (len(uses) != 1)}")
        if unsearched:
            # A big run opens as a skeleton: saying nothing would pass a partial answer off
            # as the whole one.
            text.append(
                f" · {unsearched:,} later step{'s were' if unsearched != 1 else ' was'} not "
                "searched: not loaded yet (a to load and search them)"
            )
        elif not uses:
            text.append(".")
        heading.update(text)

    def searching_all(self, count: int) -> None:
        """Say that `count` later steps are being loaded to be searched."""
        heading = self.query_one("#flow-uses-heading", Static)
        heading.update(
            Text(f"Loading {count:,} later step{'s' * (count != 1)} to search them for uses …")
        )
        self.unsearched = 0
        self.refresh_bindings()

    def action_search_all(self) -> None:
        """Ask the run view to load every later step, then search them all."""
        if self.entry is not None and self.unsearched:
            self.post_message(self.SearchAllRequested(self.entry))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer `a` only when the last trace left later steps unsearched."""
        if action == "search_all":
            return bool(self.unsearched)
        return True

    @staticmethod
    def _input_summary(entry: StepEntry, traces: list[LeafTrace]) -> Text:
        label = one_line(entry.label, 60)
        if entry.input is MISSING:
            return Text(f"No input recorded for {label}.")
        traced = sum(1 for t in traces if t.sources)
        literal = sum(1 for t in traces if t.is_literal)
        unresolved = sum(1 for t in traces if t.unresolved_ref is not None)
        text = Text(
            f"Input of {label}: {len(traces):,} value{'s' * (len(traces) != 1)} · "
            f"{traced:,} traced · {literal:,} literal"
        )
        if unresolved:
            text.append(f" · ⚠ {unresolved:,} unresolved !ref", style="bold")
        text.append("   enter: go to source", style="dim")
        return text

    def _summary(self, text: str | Text) -> None:
        self.query_one("#flow-summary", Static).update(
            text if isinstance(text, Text) else Text(text)
        )

    @on(DataTable.RowHighlighted, "#flow-inputs")
    def _show_value(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted input row's value, whole, beneath the table."""
        row = event.cursor_row
        shown = self.query_one("#flow-value", Static)
        if not 0 <= row < len(self._values):
            shown.update(Text(""))
            return
        table = self.query_one("#flow-inputs", TraceTable)
        path = ""
        for index in range(row, -1, -1):
            cell = table.get_row_at(index)[0].plain
            if not cell.startswith(" "):  # an "  ↳ or" row continues the leaf above it
                path = cell
                break
        text = Text(f"{path} = ", style="dim")
        text.append(self._values[row])
        shown.update(text)

    def _clear(self) -> None:
        self._values = []
        self.query_one("#flow-value", Static).update(Text(""))
        for table in self.query(TraceTable):
            table.clear()
            table.targets = []
        self.query_one("#flow-uses-heading", Static).update(Text(""))

    @on(DataTable.RowSelected)
    def _ignore_click(self, event: DataTable.RowSelected) -> None:
        # A click only moves the cursor; jumping away is left to `enter`/`g`.
        event.stop()
