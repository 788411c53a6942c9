"""The table of failure groups: one row per group, its columns chosen by the screen's width.

Groups are few (tens, not thousands), so a refresh redraws every row; rows are keyed by
the group's position in `FailureGroupsScreen.groups` order and the cursor follows the group
it was on, not the row number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from wflog_tui.model.display_text import one_line
from wflog_tui.model.failure_groups import FailureGroup, GroupKey
from wflog_tui.ui.failure_groups.lines import (
    organisations_cell,
    short_age,
    sparkline_text,
    step_label,
    workflow_label,
)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the group table: its key, heading and width (None: what is left)."""

    key: str
    label: str
    width: int | None


# Below this width the workflow, organisations and first-seen columns go (the brief's
# priorities: count, signature, step, NEW stay); from WIDE on every column shows.
MEDIUM: Final = 110
WIDE: Final = 140
_SIGNATURE_MIN: Final = 16


def columns_for(width: int) -> tuple[Column, ...]:
    """The columns that fit `width` cells, the signature taking whatever the others leave."""
    if width >= WIDE:
        fixed = (
            Column("new", "", 3),
            Column("count", "count", 6),
            Column("spark", "over the window", 24),
            Column("workflow", "workflow", 22),
            Column("step", "step", 18),
            Column("signature", "signature", None),
            Column("orgs", "organisations", 16),
            Column("first", "first", 5),
            Column("last", "last", 5),
        )
    elif width >= MEDIUM:
        fixed = (
            Column("new", "", 3),
            Column("count", "count", 6),
            Column("spark", "window", 12),
            Column("workflow", "workflow", 16),
            Column("step", "step", 16),
            Column("signature", "signature", None),
            Column("orgs", "orgs", 12),
            Column("last", "last", 5),
        )
    else:
        fixed = (
            Column("new", "", 3),
            Column("count", "count", 6),
            Column("spark", "window", 8),
            Column("step", "step", 14),
            Column("signature", "signature", None),
            Column("last", "last", 4),
        )
    # Each column has one cell of padding on either side; two more for the scrollbar.
    taken = sum((c.width or 0) + 2 for c in fixed) + 2 + 2
    signature = max(_SIGNATURE_MIN, width - taken)
    return tuple(Column(c.key, c.label, c.width or signature) for c in fixed)


class GroupTable(DataTable):
    """The groups of the window, one row each; `j`/`k`, `g`/`G` move as in the run list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g,home", "scroll_top", "First group", show=False),
        Binding("G,end", "scroll_bottom", "Last group", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        super().__init__(**kwargs)
        self.groups: list[FailureGroup] = []
        """The groups shown, in row order."""
        self._columns: tuple[Column, ...] = ()

    @property
    def selected(self) -> FailureGroup | None:
        """The group under the cursor; None when there is none."""
        if not self.groups:
            return None
        return self.groups[min(self.cursor_row, len(self.groups) - 1)]

    def show(self, groups: Sequence[FailureGroup], now: datetime, width: int) -> None:
        """Draw `groups` in this order, keeping the cursor on the group it was on."""
        selected = self.selected
        columns = columns_for(width)
        if columns != self._columns:
            self.clear(columns=True)
            for column in columns:
                self.add_column(Text(column.label), key=column.key, width=column.width)
            self._columns = columns
        else:
            self.clear()
        self.groups = list(groups)
        for index, group in enumerate(self.groups):
            self.add_row(*self._cells(group, now), key=str(index))
        if selected is not None:
            self.move_cursor(row=self._index_of(selected.key), scroll=True)

    def _index_of(self, key: GroupKey) -> int:
        for index, group in enumerate(self.groups):
            if group.key == key:
                return index
        return 0

    def _cells(self, group: FailureGroup, now: datetime) -> list[Text]:
        cells = []
        for column in self._columns:
            width = column.width or 0
            match column.key:
                case "new":
                    cells.append(Text("NEW", style="bold reverse") if group.new else Text(""))
                case "count":
                    cells.append(Text(f"{group.count:,}", justify="right", style="bold"))
                case "spark":
                    cells.append(sparkline_text(group.buckets, width))
                case "workflow":
                    cells.append(Text(one_line(workflow_label(group), width)))
                case "step":
                    cells.append(Text(one_line(step_label(group), width)))
                case "signature":
                    cells.append(Text(one_line(group.key.signature, width), style="italic"))
                case "orgs":
                    cells.append(Text(one_line(organisations_cell(group.organisations), width)))
                case "first":
                    cells.append(Text(short_age(now - group.first_seen), justify="right"))
                case "last":
                    cells.append(Text(short_age(now - group.last_seen), justify="right"))
        return cells
