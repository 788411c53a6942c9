"""One `steps_log` element read into a `StepEntry`, whatever shape it came in."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.timestamps import millis_between, parse_timestamp

TRIGGER_OPERATION: Final = "trigger"
LOOP_OPERATION: Final = "builtin:loop"


class _Missing:
    """The field was absent, as opposed to present and null."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class StepError:
    """A step's error, from an object, a bare string or anything else found in `error`."""

    message: str
    name: str | None = None
    stack: str | None = None
    raw: Any = None


@dataclass(slots=True)
class StepEntry:
    """One element of `steps_log` that is an object.

    `index` is the element's position in `steps_log`: it is how the store fetches the
    entry's payloads again and how tails of a running run are merged.
    `problems` says, in words, what was wrong with the entry; nothing is dropped.
    """

    index: int
    status: str
    step_id: str | None
    operation: str | None
    name: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: float | None
    iteration: int | None
    total_items: int | None
    error: StepError | None
    input: Any = MISSING
    output: Any = MISSING
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    problems: list[str] = field(default_factory=list)
    duration_derived: bool = False
    unexpected_termination: bool = False
    # True while the entry is known by its shape only (a big log's skeleton): its input,
    # output, timings and error are still in the database.
    payload_pending: bool = False

    def load_full(self, value: object) -> None:
        """Take the whole element in place of the shape this entry was read from.

        The entry object stays the same (the tree's nodes hold it); only what it says is
        replaced. An element that is no longer a step leaves the entry as it was.
        """
        full = parse_entry(self.index, value)
        if isinstance(full, StepEntry):
            for name in _LOADED_FIELDS:
                setattr(self, name, getattr(full, name))
        self.payload_pending = False

    @property
    def label(self) -> str:
        """The name a person knows the step by: stepName, name, stepId, or its position."""
        return self.name or self.step_id or self.operation or f"entry #{self.index}"

    @property
    def is_trigger(self) -> bool:
        """True for the entry that records the trigger's output."""
        return self.operation == TRIGGER_OPERATION


@dataclass(frozen=True, slots=True)
class MalformedEntry:
    """An element of `steps_log` that is not a step at all; kept whole to be shown."""

    index: int
    raw: Any
    reason: str


def _text(value: object) -> str | None:
    """A field that should be a string: strings kept, numbers turned to text, else None."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and value > 0:
        return int(value)
    # Decimal digits only: "²" is a digit to `isdigit` and no number to `int`.
    if isinstance(value, str) and value.strip().isdecimal():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def describe_json_type(value: object) -> str:
    """`an object`, `a string`, `null`…: a JSON value's type in words for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_error(value: object) -> StepError | None:
    """Read `error`: an object with message/name/stack, a bare string, or anything else."""
    if value is None or value is MISSING:
        return None
    if isinstance(value, str):
        return StepError(message=value, raw=value)
    if isinstance(value, dict):
        message = value.get("message")
        name = _text(value.get("name"))
        stack = value.get("stack") if isinstance(value.get("stack"), str) else None
        if not isinstance(message, str):
            message = "" if message is None else _short(message, 200)
        if not message and name is None and stack is None and value:
            message = _short(value, 200)
        return StepError(message=message, name=name, stack=stack, raw=value)
    return StepError(message=_short(value, 200), raw=value)


_STEP_FIELDS: Final = ("stepId", "operation", "stepName", "name", "status", "startedAt")
_KNOWN_STATUSES: Final = frozenset(st.KNOWN)

# What the tree is shaped by: (stepId, status, iteration, operation).
EntryFacts = tuple[str | None, str, int | None, str | None]


def entry_facts(value: object) -> EntryFacts | None:
    """The few fields the tree's shape depends on, read without parsing the whole entry.

    A run of 100,000 entries is mostly loop iterations nobody opens; reading four fields
    of each is what lets it open fast. The values agree with `parse_entry`'s. None means
    the element is not a step: it is parsed in full, as a malformed entry.
    """
    if not isinstance(value, dict):
        return None
    if "stepId" not in value and not any(key in value for key in _STEP_FIELDS):
        return None
    sid = value.get("stepId")
    step_id = sid if type(sid) is str and sid and not sid.isspace() else _text(sid)
    raw_status = value.get("status")
    if type(raw_status) is str and raw_status in _KNOWN_STATUSES:
        status = raw_status
    else:
        status = st.normalise(raw_status)
    raw_iteration = value.get("iteration")
    if type(raw_iteration) is int and raw_iteration > 0:
        iteration: int | None = raw_iteration
    else:
        iteration = None if raw_iteration is None else _positive_int(raw_iteration)
    op = value.get("operation")
    operation = op if type(op) is str and op and not op.isspace() else _text(op)
    return step_id, status, iteration, operation


def parse_entry(index: int, value: object) -> StepEntry | MalformedEntry:
    """Read one element of `steps_log`. Never raises."""
    if not isinstance(value, dict):
        return MalformedEntry(index, value, f"entry is {describe_json_type(value)}, not an object")
    if not any(key in value for key in _STEP_FIELDS):
        return MalformedEntry(index, value, "object has none of the fields of a step")

    problems: list[str] = []
    raw_status = value.get("status")
    status = st.normalise(raw_status)
    if "status" not in value:
        problems.append("no status")
    elif status == st.UNKNOWN:
        problems.append(f"status is {describe_json_type(raw_status)}")
    elif status not in st.KNOWN:
        problems.append(f"status {status!r} is not one the spec knows")

    step_id = _text(value.get("stepId"))
    if step_id is None:
        problems.append("no stepId")

    started_raw = value.get("startedAt")
    started = parse_timestamp(started_raw)
    if started_raw is not None and started is None:
        problems.append(f"startedAt {_short(started_raw)} is not a date")
    ended_raw = value.get("endedAt")
    ended = parse_timestamp(ended_raw)
    if ended_raw is not None and ended is None:
        problems.append(f"endedAt {_short(ended_raw)} is not a date")

    duration: float | None = None
    derived = False
    raw_duration = value.get("durationMs")
    if isinstance(raw_duration, int | float) and not isinstance(raw_duration, bool):
        # jsonb writes 1e400 out as a 401-digit integer, which no float can hold.
        number = float(raw_duration) if abs(raw_duration) < 1e300 else math.inf
        if math.isfinite(number) and number >= 0:
            duration = number
        else:
            problems.append(f"durationMs {_short(raw_duration)} is not a duration")
    elif raw_duration is not None:
        problems.append(f"durationMs is {describe_json_type(raw_duration)}")
    if duration is None:
        between = millis_between(started, ended)
        if between is not None:
            if between >= 0:
                duration, derived = between, True
            else:
                problems.append("endedAt is before startedAt")

    iteration = _positive_int(value.get("iteration"))
    if value.get("iteration") is not None and iteration is None:
        problems.append(f"iteration {_short(value.get('iteration'))} is not a positive number")
    total = _positive_int(value.get("totalItems"))

    name = _text(value.get("stepName")) or _text(value.get("name"))
    return StepEntry(
        index=index,
        status=status,
        step_id=step_id,
        operation=_text(value.get("operation")),
        name=name,
        started_at=started,
        ended_at=ended,
        duration_ms=duration,
        iteration=iteration,
        total_items=total,
        error=parse_error(value.get("error", MISSING)),
        input=value.get("input", MISSING),
        output=value.get("output", MISSING),
        raw=value,
        problems=problems,
        duration_derived=derived,
    )


# What `load_full` takes from the whole element: everything `parse_entry` reads.
_LOADED_FIELDS: Final = tuple(
    name
    for name in StepEntry.__dataclass_fields__
    if name not in ("index", "unexpected_termination", "payload_pending")
)
