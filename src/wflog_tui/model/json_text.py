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
        try:
            text = json.dumps(
                _finite(value),
                ensure_ascii=False,
                indent=2 if indent else None,
                default=_fallback,
                allow_nan=False,
            )
        except (TypeError, ValueError, RecursionError):
            text = json.dumps(repr(value))
    return json_safe(text)


def _finite(value: Any) -> Any:
    """`value` with non-finite floats as strings: JSON has no Infinity or NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value


def _fallback(value: Any) -> Any:
    # Decimal (numbers orjson can't hold, such as 1e400) keeps its digits as a number
    # where it is finite; anything else becomes its text rather than an error.
    if isinstance(value, Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)
