"""Decoded JSON back to text, whatever it holds, safe to write to a terminal."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import orjson

from wflog_tui.model.display_text import json_safe


def to_json_text(value: Any, *, indent: bool = False) -> str:
    """Serialise `value` as JSON text with unsafe characters escaped. Never raises.

    orjson is fast but refuses integers beyond 64 bits, which PostgreSQL's numeric JSON
    allows; the standard library takes those. Anything neither can encode is shown as its
    repr in a JSON string rather than lost.
    """
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    try:
        text = orjson.dumps(value, option=option, default=_fallback).decode()
    except (TypeError, orjson.JSONEncodeError):
        # orjson refuses nesting deeper than 255 and integers wider than 64 bits; data from
        # the wild has both. The slow path is compact, and has no depth limit.
        text = _dumps_iteratively(value)
    return json_safe(text)


def _dumps_iteratively(value: Any) -> str:
    """Compact JSON built with an explicit stack, so depth cannot exhaust Python's stack."""
    parts: list[str] = []
    # Each item is (is_raw_text, payload); raw text is punctuation already rendered.
    stack: list[tuple[bool, Any]] = [(False, value)]
    while stack:
        raw, item = stack.pop()
        if raw:
            parts.append(item)
            continue
        if isinstance(item, dict):
            sequence: list[tuple[bool, Any]] = [(True, "{")]
            for position, (key, child) in enumerate(item.items()):
                prefix = "," if position else ""
                sequence.append((True, f"{prefix}{json.dumps(str(key), ensure_ascii=False)}:"))
                sequence.append((False, child))
            sequence.append((True, "}"))
            stack.extend(reversed(sequence))
        elif isinstance(item, list | tuple):
            sequence = [(True, "[")]
            for position, child in enumerate(item):
                if position:
                    sequence.append((True, ","))
                sequence.append((False, child))
            sequence.append((True, "]"))
            stack.extend(reversed(sequence))
        else:
            try:
                parts.append(
                    json.dumps(
                        _finite(item), ensure_ascii=False, default=_fallback, allow_nan=False
                    )
                )
            except ValueError:
                # Integers past Python's digit limit cannot become text at all.
                parts.append("null")
    return "".join(parts)


def _finite(value: Any) -> Any:
    """A scalar with a non-finite float as a string: JSON has no Infinity or NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _fallback(value: Any) -> Any:
    # Decimal (numbers orjson can't hold, such as 1e400) keeps its digits as a number
    # where it is finite; anything else becomes its text rather than an error.
    if isinstance(value, Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)
