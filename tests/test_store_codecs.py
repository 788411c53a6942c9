"""JSON columns decode whatever they hold, without raising and without losing digits."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from tests.database import run_row
from wflog_tui.store import StoreSettings, UndecodableJson, decode_json, open_store

_json = hs.recursive(
    hs.none() | hs.booleans() | hs.integers() | hs.floats(allow_nan=False) | hs.text(),
    lambda inner: hs.lists(inner, max_size=4) | hs.dictionaries(hs.text(), inner, max_size=4),
    max_leaves=20,
)


@given(value=_json)
def test_decode_matches_the_standard_library(value):
    text = json.dumps(value)
    assert decode_json(text) == json.loads(text)


@given(number=hs.integers())
def test_integers_keep_every_digit(number):
    assert decode_json(f'{{"n": {number}}}') == {"n": number}


def test_numbers_beyond_a_double_keep_their_digits():
    assert decode_json('{"x": 1e400, "y": 1.5}') == {"x": Decimal("1e400"), "y": 1.5}


def test_lone_surrogate_is_kept():
    assert decode_json('["\\ud800"]') == ["\ud800"]


def test_too_deep_is_kept_as_text():
    text = "[" * 5000 + "]" * 5000
    value = decode_json(text)
    assert isinstance(value, UndecodableJson)
    assert value.text == text
    assert "deep" in value.reason


def test_invalid_json_is_kept_as_text():
    value = decode_json("{nope")
    assert isinstance(value, UndecodableJson) and value.text == "{nope"


@pytest.mark.parametrize("json_type", ["jsonb", "json"])
async def test_columns_decode_through_the_pool(make_table, json_type):
    handle = await make_table(json_type=json_type)
    await handle.insert(run_row(id="x", steps_log=[{"stepId": "a", "n": 1}]))
    big = "[" * 3000 + "]" * 3000
    await handle.execute(
        f"UPDATE {handle.shape.qualified} SET input_payload = $1::text::{json_type}, "
        f"output_payload = $2::text::{json_type} WHERE id = 'x'",
        '{"huge": 1e400, "id": 123456789012345678901234567890}',
        big,
    )
    async with await open_store(StoreSettings(dsn=handle.dsn, table=handle.name)) as store:
        detail = await store.fetch_run("x")
    assert detail is not None
    assert detail.steps_log == [{"stepId": "a", "n": 1}]
    assert detail.input_payload["id"] == 123456789012345678901234567890
    assert detail.input_payload["huge"] == Decimal("1e400")
    assert isinstance(detail.output_payload, UndecodableJson)
    assert detail.output_payload.text.replace(" ", "") == big
