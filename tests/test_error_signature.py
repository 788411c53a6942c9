"""The normaliser: one test per rule, the issue's examples, and messages that differ only
in per-run values landing in the same group."""

from __future__ import annotations

import string
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as s

from wflog_tui.model.error_signature import (
    MAX_SIGNATURE_CHARS,
    NO_MESSAGE,
    RULES,
    normalise_message,
)


@pytest.mark.parametrize(
    ("message", "signature"),
    [pytest.param(m, sig, id=f"{rule.name}: {m}") for rule in RULES for m, sig in rule.examples],
)
def test_each_rule_replaces_its_values(message, signature):
    assert normalise_message(message) == signature


def test_every_rule_has_examples_that_change_the_message():
    for rule in RULES:
        assert any(message != expected for message, expected in rule.examples), rule.name


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (
            "card_declined for ORDER1042 (req_9f8e7d6c5b4a)",
            "card_declined for ORDER7 (req_00aa11bb22cc)",
        ),
        ("SMTP timeout after 30012 ms", "SMTP timeout after 5 ms"),
        ("rate_limited: retry after 45s", "rate_limited: retry after 3s"),
        ("mailbox_full_49999", "mailbox_full_1"),
    ],
)
def test_the_issue_examples_collapse(one, other):
    assert normalise_message(one) == normalise_message(other)
    assert normalise_message(one) != normalise_message("something else entirely")


def test_words_and_apostrophes_survive():
    assert normalise_message("deadline exceeded, can't retry") == "deadline exceeded, can't retry"
    assert normalise_message("Invalid email address format") == "Invalid email address format"


def test_empty_and_missing_messages_have_one_signature():
    assert normalise_message(None) == NO_MESSAGE
    assert normalise_message("  \n ") == NO_MESSAGE


def test_long_messages_are_cut():
    assert len(normalise_message("x" * 10_000)) == MAX_SIGNATURE_CHARS


def test_whitespace_is_collapsed():
    assert normalise_message("a \n\t b") == "a b"


_HEX = "0123456789abcdef"
# ISO 8601 years have four digits.
_DATETIMES = s.datetimes(min_value=datetime(1000, 1, 1))
# One strategy per kind of per-run value; two messages draw the same kinds.
_VALUE_KINDS = (
    s.integers(0, 10**12).map(str),
    s.tuples(s.integers(0, 9999), s.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]}"),
    # Eight or more hex digits, with a digit and a letter among them.
    s.tuples(
        s.sampled_from("0123456789"),
        s.text(_HEX, min_size=6, max_size=30),
        s.sampled_from("abcdefABCDEF"),
    ).map("".join),
    s.uuids().map(str),
    s.emails(),
    _DATETIMES.map(lambda d: d.isoformat()),
    _DATETIMES.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    s.text(string.ascii_letters + string.digits + " -_:", max_size=30).map(lambda t: f'"{t}"'),
    s.text(string.ascii_letters + " ", max_size=30).map(lambda t: f"'{t}'"),
)
# Fixed text has no digits, hex letters, quotes or @, so it cannot merge with a value.
_FIXED = s.text("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ:=,;!", min_size=1, max_size=12)


@given(s.data())
def test_messages_differing_only_in_values_share_a_signature(data):
    parts = data.draw(s.lists(_FIXED, min_size=1, max_size=5))
    kinds = data.draw(
        s.lists(s.integers(0, len(_VALUE_KINDS) - 1), min_size=len(parts), max_size=len(parts))
    )
    messages = []
    for _ in range(2):
        pieces = []
        for part, kind in zip(parts, kinds, strict=True):
            pieces += [part, " ", data.draw(_VALUE_KINDS[kind]), " "]
        messages.append("".join(pieces))
    assert normalise_message(messages[0]) == normalise_message(messages[1])


@given(s.text(max_size=300))
def test_normalising_is_idempotent_and_never_fails(message):
    once = normalise_message(message)
    assert normalise_message(once) == once
