"""Status values as found in the data: the five of the spec, and anything else kept verbatim."""

from __future__ import annotations

from typing import Final

RUNNING: Final = "RUNNING"
COMPLETED: Final = "COMPLETED"
FAILED: Final = "FAILED"
TIMED_OUT: Final = "TIMED_OUT"
CANCELED: Final = "CANCELED"
# Not a status of the spec: what an entry gets when its own status is missing or not a string.
UNKNOWN: Final = "UNKNOWN"
# An iteration of a loop that no entry reports: the loop never got there.
NOT_REACHED: Final = "NOT_REACHED"

KNOWN: Final = (RUNNING, COMPLETED, FAILED, TIMED_OUT, CANCELED)
TERMINAL: Final = frozenset({COMPLETED, FAILED, TIMED_OUT, CANCELED})
# What `n`/`N` and the failure index stop at. TIMED_OUT is a failure to the person on call.
FAILURES: Final = frozenset({FAILED, TIMED_OUT})

# A glyph beside every status word, so that status never rests on colour alone.
GLYPHS: Final = {
    RUNNING: "●",
    COMPLETED: "✓",
    FAILED: "✗",
    TIMED_OUT: "⏱",
    CANCELED: "⊘",
    NOT_REACHED: "·",
    UNKNOWN: "?",
}

# Worst first: when a group's status is rolled up from its members, the worst one wins.
_SEVERITY: Final = {
    FAILED: 0,
    TIMED_OUT: 1,
    RUNNING: 2,
    CANCELED: 3,
    UNKNOWN: 4,
    COMPLETED: 5,
    NOT_REACHED: 6,
}


def normalise(value: object) -> str:
    """Return the status of a raw value: known ones upper-cased, other strings kept, else UNKNOWN.

    An unknown status string is kept verbatim (stripped) so that it can be shown as found.
    """
    if not isinstance(value, str):
        return UNKNOWN
    text = value.strip()
    if not text:
        return UNKNOWN
    upper = text.upper()
    if upper in KNOWN:
        return upper
    if upper == "CANCELLED":
        return CANCELED
    return text


def glyph(status: str) -> str:
    """The one-character mark shown before a status word."""
    return GLYPHS.get(status, "?")


def word(status: str) -> str:
    """The status as a word for people: `TIMED_OUT` reads `TIMED OUT`."""
    if status == NOT_REACHED:
        return "not reached"
    return status.replace("_", " ")


def severity(status: str) -> int:
    """Lower is worse; an unexpected status sorts with UNKNOWN."""
    return _SEVERITY.get(status, _SEVERITY[UNKNOWN])


def worst(statuses: object) -> str | None:
    """The worst of several statuses, or None when there are none."""
    best: str | None = None
    for status in statuses:  # type: ignore[attr-defined]
        if best is None or severity(status) < severity(best):
            best = status
    return best


def is_failure(status: str) -> bool:
    """True for the statuses the failure index and `n`/`N` stop at."""
    return status in FAILURES
