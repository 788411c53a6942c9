"""Failures grouped by what failed: (workflow, failing step, error signature).

A failure is a FAILED or TIMED_OUT run. Its key is its workflow (`workflow_id`, else
`workflow_name`), the `stepId` of the first FAILED entry of its `steps_log`, and that
entry's `error.message` normalised (`error_signature`). A TIMED_OUT run with no failed
step groups under its last unfinished step as "timed out"; a run whose log is missing,
malformed or has no failed entry groups under its top-level `error`.

The store extracts a run's `FailureFacts` in SQL (the log stays on the server);
`facts_from_log` is the same reading in Python, for logs stored as text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.error_signature import MAX_MESSAGE_CHARS, normalise_message
from wflog_tui.model.json_text import to_json_text

TIMED_OUT_SIGNATURE: Final = "timed out"
# Step ids are keys and labels, not documents.
MAX_STEP_ID_CHARS: Final = 200
SPARKLINE_BUCKETS: Final = 24
SAMPLE_RUN_IDS: Final = 10
# Statuses of an entry that had not finished when its run timed out.
_OPEN_STEP_STATUSES: Final = frozenset({st.RUNNING, st.TIMED_OUT})


@dataclass(frozen=True, slots=True)
class FailureFacts:
    """What grouping needs from a failed run's log and error, extracted once.

    `failed_*` describe the first FAILED entry (`has_failed_entry`), `open_step_id` the
    last entry still RUNNING, TIMED_OUT or without `endedAt` (read for TIMED_OUT runs).
    """

    status: str
    top_error: str | None = None
    has_failed_entry: bool = False
    failed_step_id: str | None = None
    failed_message: str | None = None
    open_step_id: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class GroupKey:
    """What a group's failures share. `workflow` is the id, or the name when `by_name`."""

    workflow: str | None
    by_name: bool
    step_id: str | None
    signature: str


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed run as grouping sees it. `at` is when it failed (ended, else started)."""

    id: str
    run_id: str
    status: str
    key: GroupKey
    workflow_name: str | None
    organisation_id: str | None
    workflow_version_id: str | None
    started_at: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Runs started at or after `start` (None: no bound), seen up to `end`."""

    start: datetime | None
    end: datetime

    @property
    def previous(self) -> TimeWindow | None:
        """The window of the same length just before this one; None without a start."""
        if self.start is None:
            return None
        try:
            return TimeWindow(self.start - (self.end - self.start), self.start)
        except OverflowError:
            return TimeWindow(None, self.start)  # all before a start near year 1


@dataclass(frozen=True, slots=True)
class FailureGroup:
    """A group's aggregates over a window: how many, since when, where, which runs.

    `buckets` counts failures per equal slice of the window, oldest first; `run_ids` are
    every failure's `run_id`, newest first (for moving from one run of the group to the
    next). `new` is True when the previous window had no failure with this key.
    """

    key: GroupKey
    workflow_name: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    buckets: tuple[int, ...]
    organisations: Mapping[str | None, int]
    versions: Mapping[str | None, int]
    run_ids: tuple[str, ...]
    ids: tuple[str, ...] = field(repr=False)
    new: bool

    @property
    def sample_run_ids(self) -> tuple[str, ...]:
        """The newest few run ids, for a report."""
        return self.run_ids[:SAMPLE_RUN_IDS]


def _cut(value: Any, limit: int) -> str | None:
    """`value` as PostgreSQL's `->>` spells it (JSON text for anything but a string), cut."""
    if value is None:
        return None
    text = value if isinstance(value, str) else to_json_text(value)
    return text[:limit]


def _step_id(entry: Mapping[str, Any]) -> str | None:
    """A scalar `stepId` as text; an object or array names no step."""
    value = entry.get("stepId")
    return None if isinstance(value, dict | list) else _cut(value, MAX_STEP_ID_CHARS)


def facts_from_log(steps_log: Any, status: str, top_error: str | None) -> FailureFacts:
    """The `FailureFacts` of a run from its decoded `steps_log`, whatever that holds."""
    error = _cut(top_error, MAX_MESSAGE_CHARS)
    if not isinstance(steps_log, list):
        return FailureFacts(status=status, top_error=error)
    open_step: str | None = None
    for entry in steps_log:
        if not isinstance(entry, dict):
            continue
        if entry.get("status") == st.FAILED:
            detail = entry.get("error")
            message = detail.get("message") if isinstance(detail, dict) else None
            return FailureFacts(
                status=status,
                top_error=error,
                has_failed_entry=True,
                failed_step_id=_step_id(entry),
                failed_message=_cut(message, MAX_MESSAGE_CHARS),
            )
        if entry.get("status") in _OPEN_STEP_STATUSES or "endedAt" not in entry:
            open_step = _step_id(entry)
    return FailureFacts(status=status, top_error=error, open_step_id=open_step)


def group_key(workflow_id: str | None, workflow_name: str | None, facts: FailureFacts) -> GroupKey:
    """The group a failure belongs to (see the module's docstring for the fallbacks)."""
    by_name = workflow_id is None
    workflow = workflow_name if by_name else workflow_id
    if facts.has_failed_entry:
        message = facts.failed_message if facts.failed_message is not None else facts.top_error
        return GroupKey(workflow, by_name, facts.failed_step_id, normalise_message(message))
    if facts.status == st.TIMED_OUT:
        return GroupKey(workflow, by_name, facts.open_step_id, TIMED_OUT_SIGNATURE)
    return GroupKey(workflow, by_name, None, normalise_message(facts.top_error))


def summarise(
    failures: Iterable[Failure],
    window: TimeWindow,
    *,
    previous_keys: frozenset[GroupKey] | None = None,
    buckets: int = SPARKLINE_BUCKETS,
) -> list[FailureGroup]:
    """Groups of `failures` with their aggregates, newest activity first.

    `previous_keys` are the keys seen in `window.previous`; without them (no previous
    window, as with no time bound) no group is new.
    """
    members: dict[GroupKey, list[Failure]] = {}
    for failure in failures:
        members.setdefault(failure.key, []).append(failure)
    groups = [
        _group(key, runs, window, previous_keys, max(1, buckets)) for key, runs in members.items()
    ]
    groups.sort(key=lambda g: (g.last_seen, g.count), reverse=True)
    return groups


def _group(
    key: GroupKey,
    runs: list[Failure],
    window: TimeWindow,
    previous_keys: frozenset[GroupKey] | None,
    buckets: int,
) -> FailureGroup:
    runs.sort(key=lambda f: (f.at, f.id), reverse=True)
    start = window.start if window.start is not None else min(f.started_at for f in runs)
    span = max(window.end - start, timedelta(microseconds=1))
    counts = [0] * buckets
    for failure in runs:
        # By when it started, as the window is: a run started in the window but failing
        # after its end counts in the last slice.
        slot = int((failure.started_at - start) / span * buckets)
        counts[min(max(slot, 0), buckets - 1)] += 1
    return FailureGroup(
        key=key,
        workflow_name=runs[0].workflow_name,
        count=len(runs),
        first_seen=min(f.at for f in runs),
        last_seen=runs[0].at,
        buckets=tuple(counts),
        organisations=dict(Counter(f.organisation_id for f in runs).most_common()),
        versions=dict(Counter(f.workflow_version_id for f in runs).most_common()),
        run_ids=tuple(f.run_id for f in runs),
        ids=tuple(f.id for f in runs),
        new=previous_keys is not None and key not in previous_keys,
    )


class FailureLog:
    """The failures of one window, kept between refreshes so that each asks only for newer.

    `merge` adds (or replaces, by id) failures from a refresh; `move_to` slides the window
    and drops the failures that left it. `newest_at` is the cursor for the next refresh.
    """

    def __init__(self, window: TimeWindow) -> None:
        self.window = window
        self._by_id: dict[str, Failure] = {}
        self.previous_keys: frozenset[GroupKey] | None = None
        # Set by the loader when it stopped at its cap: the groups then miss older failures.
        self.truncated = False

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def newest_at(self) -> datetime | None:
        """When the newest failure held failed; None when there is none."""
        return max((f.at for f in self._by_id.values()), default=None)

    def merge(self, failures: Iterable[Failure]) -> None:
        """Add failures; one already held (same id) is replaced by its newer reading."""
        for failure in failures:
            self._by_id[failure.id] = failure

    def move_to(self, window: TimeWindow) -> None:
        """Slide to `window`, dropping failures of runs started before its start.

        A dropped failure is in the previous window now, so its key stops being new.
        """
        self.window = window
        if window.start is None:
            return
        start = window.start
        dropped = {f.key for f in self._by_id.values() if f.started_at < start}
        self._by_id = {k: f for k, f in self._by_id.items() if f.started_at >= start}
        if self.previous_keys is not None:
            self.previous_keys = self.previous_keys | dropped

    def failures(self, key: GroupKey) -> list[Failure]:
        """A group's failures, newest first: the runs a screen lists for it."""
        members = [f for f in self._by_id.values() if f.key == key]
        members.sort(key=lambda f: (f.at, f.id), reverse=True)
        return members

    def run_ids(self, key: GroupKey) -> list[str]:
        """The `run_id`s of a group's failures, newest first: next/previous run of a group."""
        return [f.run_id for f in self.failures(key)]

    def groups(self, *, buckets: int = SPARKLINE_BUCKETS) -> list[FailureGroup]:
        """The groups of the failures held, newest activity first."""
        return summarise(
            self._by_id.values(), self.window, previous_keys=self.previous_keys, buckets=buckets
        )
