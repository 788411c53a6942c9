"""One run of a workflow: the summary a list shows and the detail a run view opens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wflog_tui.model import status as st
from wflog_tui.model.timestamps import is_extreme


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A row of the run list: no JSON columns, the error cut short by the query."""

    id: str
    run_id: str
    status: str
    workflow_name: str | None = None
    workflow_function_id: str | None = None
    workflow_id: str | None = None
    event_id: str | None = None
    event_name: str | None = None
    organisation_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: int | None = None
    error: str | None = None

    @property
    def is_running(self) -> bool:
        """True while the platform still reports the run as executing."""
        return self.status == st.RUNNING

    def elapsed_ms(self, now: datetime) -> float | None:
        """The duration to show: the stored one, or the time since start for a running run."""
        if self.duration_ms is not None and not self.is_running:
            return float(self.duration_ms)
        if self.started_at is None or is_extreme(self.started_at):
            return None
        if self.is_running:
            end = now
        elif self.ended_at is not None and not is_extreme(self.ended_at):
            end = self.ended_at
        else:
            # Finished, but with no end or duration recorded, or an end at ±infinity.
            return None
        return max(0.0, (end - self.started_at).total_seconds() * 1000)


@dataclass(frozen=True, slots=True)
class RunDetail:
    """One run in full, as a run view or `show` needs it.

    `steps_log`, `input_payload` and `output_payload` hold whatever the JSON columns held,
    decoded; nothing in them has been checked.
    """

    summary: RunSummary
    workflow_version_id: str | None = None
    input_payload: Any = None
    output_payload: Any = None
    steps_log: Any = None
    error: str | None = None
    error_stack: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
