"""Parsing `--since` and `--status`, and the WHERE clause every query shares."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from wflog_tui.store import RunFilter, parse_since, parse_statuses, unknown_statuses
from wflog_tui.store.filters import Params, escape_like, filter_conditions
from wflog_tui.store.schema import ColumnInfo, TableInfo

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("30s", timedelta(seconds=30)),
        ("2w", timedelta(weeks=2)),
        ("90m", timedelta(minutes=90)),
        (" 5 M ", timedelta(minutes=5)),
        ("all", None),
        ("ALL", None),
    ],
)
def test_parse_since(text, window):
    assert parse_since(text) == window


@given(number=hs.integers(1, 999_999), unit=hs.sampled_from(sorted(UNITS)))
def test_parse_since_reads_any_number_and_unit(number, unit):
    assert parse_since(f"{number}{unit}") == timedelta(**{UNITS[unit]: number})


@given(text=hs.text(max_size=12))
def test_parse_since_refuses_anything_else_with_the_usage(text):
    try:
        window = parse_since(text)
    except ValueError as exc:
        assert str(exc) == (
            f"--since takes a number and a unit (s, m, h, d, w), e.g. 15m, or 'all'; got {text!r}"
        )
    else:
        assert window is None or window > timedelta(0)


@pytest.mark.parametrize("text", ["", "0m", "15", "m", "1.5h", "15min", "-1h", "1y", "1h30m"])
def test_parse_since_refuses(text):
    with pytest.raises(ValueError, match="--since takes a number and a unit"):
        parse_since(text)


def test_parse_statuses():
    assert parse_statuses("failed, RUNNING,,timed_out") == {"FAILED", "RUNNING", "TIMED_OUT"}
    assert parse_statuses("cancelled") == {"CANCELED"}
    assert parse_statuses("  ") == frozenset()
    # Statuses outside the spec are kept as typed: the table stores them verbatim.
    parsed = parse_statuses("PAUSED,failed,Waiting")
    assert parsed == {"PAUSED", "FAILED", "Waiting"}
    assert unknown_statuses(parsed) == {"PAUSED", "Waiting"}


@given(text=hs.text(max_size=30))
def test_escape_like_leaves_no_bare_wildcard(text):
    # Read the pattern as LIKE does with ESCAPE '\\': no wildcard may stay active.
    escaped = escape_like(text)
    literal, pos = [], 0
    while pos < len(escaped):
        if escaped[pos] == "\\":
            literal.append(escaped[pos + 1])
            pos += 2
        else:
            assert escaped[pos] not in "%_"
            literal.append(escaped[pos])
            pos += 1
    assert "".join(literal) == text


def _info(*, enum: bool, tz: bool) -> TableInfo:
    status = ColumnInfo(
        "status",
        '"s"."Status"' if enum else "text",
        "Status" if enum else "text",
        enum_labels=("RUNNING", "FAILED") if enum else None,
    )
    started = ColumnInfo("started_at", "timestamp", "timestamptz" if tz else "timestamp")
    columns = {
        "id": ColumnInfo("id", "text", "text"),
        "run_id": ColumnInfo("run_id", "text", "text"),
        "status": status,
        "started_at": started,
        "workflow_name": ColumnInfo("workflow_name", "text", "text"),
        "organisation_id": ColumnInfo("organisation_id", "text", "text"),
    }
    return TableInfo(schema="s", name="t", columns=columns)


def test_conditions_are_parameterised_and_scope_comes_first():
    params = Params()
    conditions = filter_conditions(
        RunFilter(
            statuses=frozenset({"FAILED", "PAUSED"}),
            workflow="w'; DROP TABLE x; --",
            event_name="e",
            since=timedelta(minutes=15),
            search="50%_off",
        ),
        _info(enum=True, tz=False),
        params,
        scope="org'a",
    )
    sql = " AND ".join(conditions)
    assert conditions[0] == '"organisation_id" = $1::text'
    assert "DROP" not in sql and "org'a" not in sql and "50%" not in sql
    # An enum column compares with the labels it has, cast to the enum.
    assert '"status" = ANY($2::text[]::"s"."Status"[])' in sql
    assert params.values[1] == ["FAILED"]
    # The event name column is missing: nothing can match it.
    assert "FALSE" in conditions
    assert "(now() AT TIME ZONE 'UTC') - $4::interval" in sql
    assert "50\\%\\_off%" in params.values


def test_text_status_and_timestamptz_window():
    params = Params()
    conditions = filter_conditions(
        RunFilter(statuses=frozenset({"PAUSED"}), since=timedelta(hours=1)),
        _info(enum=False, tz=True),
        params,
        scope=None,
    )
    assert conditions == [
        '"status"::text = ANY($1::text[])',
        '"started_at" >= now() - $2::interval',
    ]
    assert params.values == [["PAUSED"], timedelta(hours=1)]
