"""The run view's header: workflow, ids, status, times, event, organisation, error."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from wflog_tui.model.display_text import escape_control, one_line
from wflog_tui.model.durations import format_duration, format_instant
from wflog_tui.model.run import RunDetail
from wflog_tui.ui.widgets.flowed_text import flowed
from wflog_tui.ui.widgets.status_text import status_text

_HEADER_WIDTH = 200


class RunHeader(Static):
    """The run's header: workflow, ids, status, times, event, organisation, error.

    `tick` redraws only this widget, so a running run's duration can count up every second.
    """

    DEFAULT_CSS = """
    RunHeader { height: auto; max-height: 8; padding: 0 1; background: $boost; }
    RunHeader > .run-header--label { text-style: dim; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"run-header--label"}

    def __init__(self, *, id: str | None = None) -> None:
        """An empty header; `show_message` or `show_run` fills it."""
        super().__init__(Text("Loading run …"), id=id)
        self._detail: RunDetail | None = None
        self._notes: Sequence[str] = ()
        self._clock: Timer | None = None

    def show_message(self, message: Text) -> None:
        """Show a message instead of a run (loading, not found, an error)."""
        self._detail = None
        self.update(message)

    def show_run(self, detail: RunDetail, notes: Sequence[str] = ()) -> None:
        """Show `detail`'s header, with the step tree's notes about `steps_log` below it."""
        self._detail = detail
        self._notes = notes
        self.tick()

    def tick(self) -> None:
        """Redraw with the current time, so "3 minutes ago" and a running duration move."""
        if self._detail is not None:
            self.update(self._render_run(self._detail, datetime.now(UTC)))

    def start_clock(self) -> None:
        """Tick every second from now on, with the header (a second call changes nothing)."""
        if self._clock is None:
            self._clock = self.set_interval(1.0, self.tick)

    def on_resize(self) -> None:
        """Lay the header's pairs out again for the new width."""
        self.tick()

    def _render_run(self, detail: RunDetail, now: datetime) -> Text:
        run = detail.summary
        title = Text(one_line(run.workflow_name or "(no workflow name)", 120), style="bold")
        title.append("  ").append_text(status_text(run.status, self.app.theme_variables))
        lines: list[list[Text]] = [
            [
                title,
                Text(f" run {one_line(run.run_id, 80)}", style="dim"),
                Text(f"(id {one_line(run.id, 60)})", style="dim"),
            ],
            [
                _pair("started", format_instant(run.started_at, now)),
                _pair("ended", format_instant(run.ended_at, now) if run.ended_at else "—"),
                _pair(
                    "duration",
                    format_duration(run.elapsed_ms(now)) + (" (running)" if run.is_running else ""),
                ),
            ],
            [
                _pair("event", one_line(run.event_name or "—", 80)),
                _pair("event id", one_line(run.event_id or "—", 60)),
                _pair("organisation", one_line(run.organisation_id or "—", 80)),
            ],
        ]
        if detail.error:
            errors = escape_control(detail.error, keep_newlines=True).splitlines()[:2]
            for number, line in enumerate(errors):
                lines.append([_pair("error" if number == 0 else "     ", one_line(line, 200))])
        lines.extend([_pair("note", one_line(note, 200))] for note in self._notes[:2])
        # The padding of one cell on either side.
        return flowed(lines, max(20, self.size.width - 2))


def _pair(label: str, value: str) -> Text:
    """`label value`, the label dimmed."""
    text = Text(f"{label} ", style="dim")
    text.append(value)
    return text
