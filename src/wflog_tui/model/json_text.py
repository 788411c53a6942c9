"""Decoded JSON back to text, whatever it holds, safe to write to a terminal."""

from __future__ import annotations

import json
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
        text = orjson.dumps(value, option=option, default=repr).decode()
    except (TypeError, orjson.JSONEncodeError):
        try:
            text = json.dumps(value, ensure_ascii=False, indent=2 if indent else None, default=repr)
        except (TypeError, ValueError, RecursionError):
            text = json.dumps(repr(value))
    return json_safe(text)
