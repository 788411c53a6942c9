"""Where in one step entry a searched text is: which of its fields, and inside an input or
output, the path of the first key or value that holds it.

The server decides which entries mention the text (`Store.find_in_steps`); this only
places the mention inside an entry already found, so the run view can open the detail
pane on it. Fields are tried in the server's order: step id, name, error, input, output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from wflog_tui.model.entries import MISSING, StepEntry
from wflog_tui.model.json_diff import JsonPath


@dataclass(frozen=True)
class MatchPlace:
    """`field` is "step" (the step id or name), "error", "input" or "output"; `json_path`
    is where in an input or output the text is, () when no single key or value holds it."""

    field: str
    json_path: JsonPath = ()


def _text(value: Any) -> str:
    # As the value is written in the JSON the server searched, less a string's quotes.
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:  # an integer past 64 bits
        return str(value)


def path_holding(value: Any, needle: str) -> JsonPath | None:
    """The path of the first key or scalar (in document order) whose text holds `needle`
    (lower-cased), None when none does. A key that holds it gives the path of its value."""
    stack: list[tuple[JsonPath, Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            children: list[tuple[JsonPath, Any]] = []
            for key, child in item.items():
                if needle in str(key).lower():
                    return (*path, key)
                children.append(((*path, key), child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(((*path, i), child) for i, child in reversed(list(enumerate(item))))
        elif needle in _text(item).lower():
            return path
    return None


def match_place(entry: StepEntry, text: str) -> MatchPlace | None:
    """Which field of `entry` holds `text` (any case), None when none of those loaded does
    (a payload not fetched yet, or a mention only the JSON text has, across its syntax)."""
    needle = text.strip().lower()
    if not needle:
        return None
    if any(needle in (v or "").lower() for v in (entry.step_id, entry.name)):
        return MatchPlace("step")
    if entry.error is not None and needle in entry.error.message.lower():
        return MatchPlace("error")
    for field in ("input", "output"):
        value = getattr(entry, field)
        if value is MISSING:
            continue
        path = path_holding(value, needle)
        if path is not None:
            return MatchPlace(field, path)
        if needle in _text(value).lower():
            return MatchPlace(field)
    return None
