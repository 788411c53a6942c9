"""Where a searched text sits inside one step entry: the field, and the path of the first
key or value holding it, for any JSON an entry may carry."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as s

from tests.strategies import json_values
from wflog_tui.model.entries import MISSING, StepEntry, StepError
from wflog_tui.model.match_place import MatchPlace, match_place, path_holding


def _entry(**fields: Any) -> StepEntry:
    base: dict[str, Any] = dict(
        index=0,
        status="COMPLETED",
        step_id="charge_card",
        operation=None,
        name="Charge card",
        started_at=None,
        ended_at=None,
        duration_ms=None,
        iteration=None,
        total_items=None,
        error=None,
    )
    return StepEntry(**(base | fields))


def _at(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


def test_fields_are_tried_in_the_servers_order():
    both = {"note": "quota"}
    assert match_place(_entry(step_id="quota_check"), "QUOTA") == MatchPlace("step")
    failed = _entry(error=StepError("quota_exceeded"), input=both, output=both)
    assert match_place(failed, "quota") == MatchPlace("error")
    assert match_place(_entry(input=both, output=both), "quota") == MatchPlace("input", ("note",))
    assert match_place(_entry(output=[1, {"ids": ["a", "Quota"]}]), "quota") == MatchPlace(
        "output", (1, "ids", 1)
    )
    # A key that holds it: the path of its value.
    assert match_place(_entry(input={"quota_left": 3}), "quota") == MatchPlace(
        "input", ("quota_left",)
    )
    # Across the JSON's syntax, no one value holds it: the field, no path.
    assert match_place(_entry(output={"a": 1}), '"a": 1'.replace(" ", "")) == MatchPlace("output")
    # A payload not loaded, or no mention at all: nowhere.
    assert match_place(_entry(input=MISSING, payload_pending=True), "quota") is None
    assert match_place(_entry(), "   ") is None


@given(json_values, s.text(min_size=1, max_size=4))
def test_a_path_found_holds_the_text(value, needle):
    path = path_holding(value, needle.lower())
    if path is None:
        return
    parent = _at(value, path[:-1]) if path else None
    held = _at(value, path)
    in_key = isinstance(parent, dict) and needle.lower() in str(path[-1]).lower()
    # An integer is written as its digits (orjson refuses those past 64 bits).
    shown = held if isinstance(held, str) else str(held) if type(held) is int else None
    shown = orjson.dumps(held).decode() if shown is None else shown
    assert in_key or (not isinstance(held, dict | list) and needle.lower() in shown.lower())


@given(json_values, s.text(min_size=1, max_size=20))
def test_any_entry_and_text_give_a_place_or_none(value, text):
    place = match_place(_entry(input=value, output=value), text)
    assert place is None or place.field in ("step", "input", "output")


@given(s.text(min_size=1, max_size=20).filter(str.strip))
def test_a_string_leaf_is_found_whatever_it_holds(text):
    value = {"a": [0, {"b": f"<{text}>"}]}
    assert path_holding(value, text.strip().lower()) is not None
