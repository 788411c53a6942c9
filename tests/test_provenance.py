"""Data-flow provenance: where each input value of a step came from, and who used its output."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import json_trees
from wflog_tui.model.entries import MISSING, StepEntry, parse_entry
from wflog_tui.model.provenance import (
    LeafTrace,
    Match,
    Source,
    SourceKind,
    format_path,
    trace_input,
    trace_output_uses,
)

POST = {
    "post": {
        "id": "post_123",
        "platform": "linkedin",
        "author": "John Doe",
        "content": "Launching our new product today",
    }
}


def entry(index: int, step_id: str, **fields: Any) -> StepEntry:
    """A completed entry as the platform writes it, with the given extra fields."""
    raw = {
        "status": "COMPLETED",
        "stepId": step_id,
        "operation": fields.pop("operation", "http"),
        "startedAt": "2024-01-15T10:30:00Z",
        "endedAt": "2024-01-15T10:30:01Z",
        **fields,
    }
    parsed = parse_entry(index, raw)
    assert isinstance(parsed, StepEntry)
    return parsed


def trigger_entry(output: Any = POST) -> StepEntry:
    return entry(
        0, "trigger_new_post", operation="trigger", stepName="New Post Trigger", output=output
    )


def loop_entry(collection: list[Any], index: int = 1) -> StepEntry:
    return entry(
        index,
        "loop_users",
        operation="builtin:loop",
        stepName="Process Each User",
        output={"collection": collection, "totalItems": len(collection)},
    )


def by_path(traces: list[LeafTrace]) -> dict[str, LeafTrace]:
    return {trace.path: trace for trace in traces}


def resolve(value: Any, json_path: tuple[str | int, ...]) -> Any:
    for key in json_path:
        value = value[key]
    return value


# --- the spec's examples --------------------------------------------------------------


def test_slack_message_contains_the_trigger_author_and_the_channel_is_literal():
    trigger = trigger_entry()
    slack = entry(
        1,
        "action_slack_notify",
        operation="slack",
        stepName="Notify Sales Channel",
        input={"channel": "#sales-alerts", "message": "New post from John Doe on LinkedIn"},
    )

    traces = by_path(
        trace_input(slack, run_input=POST, trigger=trigger, loop=None, earlier=[trigger])
    )

    assert list(traces) == ["input.channel", "input.message"]
    assert traces["input.channel"].is_literal
    message = traces["input.message"]
    assert not message.is_literal
    assert message.sources == (
        Source(
            kind=SourceKind.TRIGGER_OUTPUT,
            match=Match.CONTAINS,
            entry_index=0,
            step_label="New Post Trigger",
            path="trigger_new_post.output.post.author",
            field="output",
            json_path=("post", "author"),
        ),
    )


def test_exact_value_from_the_run_input_when_there_is_no_trigger_output():
    step = entry(1, "notify", input={"author": "John Doe", "post_id": "post_123"})

    traces = by_path(trace_input(step, run_input=POST, trigger=None, loop=None, earlier=[]))

    (source,) = traces["input.author"].sources
    assert source.kind is SourceKind.RUN_INPUT
    assert source.match is Match.EXACT
    assert source.entry_index is None
    assert source.field == "input_payload"
    assert source.path == "input_payload.post.author"
    assert source.json_path == ("post", "author")
    assert traces["input.post_id"].sources[0].path == "input_payload.post.id"


def test_trigger_output_is_named_by_its_step_id_and_hides_the_identical_run_input():
    trigger = trigger_entry()
    step = entry(1, "notify", input={"who": "John Doe"})

    (trace,) = trace_input(step, run_input=POST, trigger=trigger, loop=None, earlier=[])

    assert [s.path for s in trace.sources] == ["trigger_new_post.output.post.author"]


def test_run_input_is_kept_when_the_trigger_output_does_not_hold_the_value():
    trigger = trigger_entry({"post": {"id": "post_123"}})
    step = entry(1, "notify", input={"who": "John Doe", "id": "post_123"})

    traces = by_path(trace_input(step, run_input=POST, trigger=trigger, loop=None, earlier=[]))

    assert [s.path for s in traces["input.who"].sources] == ["input_payload.post.author"]
    assert [s.path for s in traces["input.id"].sources] == ["trigger_new_post.output.post.id"]


def test_loop_iteration_input_is_traced_to_its_own_collection_item():
    loop = loop_entry(["user1@example.com", "invalid-email", "user3@example.com"])
    second = entry(
        2, "send_email", operation="email", iteration=2, totalItems=3, input={"to": "invalid-email"}
    )

    (trace,) = trace_input(second, run_input={}, trigger=None, loop=loop, earlier=[])

    (source,) = trace.sources
    assert source.kind is SourceKind.LOOP_ITEM
    assert source.match is Match.EXACT
    assert source.entry_index == 1
    assert source.path == "loop_users.output.collection[1]"
    assert source.json_path == ("collection", 1)
    assert resolve(loop.output, source.json_path) == "invalid-email"


def test_loop_item_of_another_iteration_is_not_a_source():
    loop = loop_entry(["user1@example.com", "invalid-email", "user3@example.com"])
    # Iteration 2 holding iteration 1's value: the loop did not give it that.
    confused = entry(2, "send_email", iteration=2, input={"to": "user1@example.com"})

    (trace,) = trace_input(confused, run_input={}, trigger=None, loop=loop, earlier=[loop])

    assert trace.sources == ()
    assert trace.is_literal


def test_loop_item_objects_are_traced_to_the_field_inside_the_item():
    loop = loop_entry(
        [
            {"email": "ann@example.com", "name": "Ann Lee"},
            {"email": "bob@example.com", "name": "Bob Stone"},
        ]
    )
    step = entry(
        2, "send_email", iteration=2, input={"to": "bob@example.com", "greeting": "Hi Bob Stone,"}
    )

    traces = by_path(trace_input(step, run_input=None, trigger=None, loop=loop, earlier=[]))

    assert [s.path for s in traces["input.to"].sources] == ["loop_users.output.collection[1].email"]
    (greeting,) = traces["input.greeting"].sources
    assert greeting.match is Match.CONTAINS
    assert greeting.json_path == ("collection", 1, "name")


def test_loop_item_string_contained_in_the_input():
    loop = loop_entry(["user1", "user2", "user3"])
    step = entry(2, "send_email", iteration=2, input={"to": "user2@example.com"})

    (trace,) = trace_input(step, run_input=None, trigger=None, loop=loop, earlier=[])

    assert [(s.path, s.match) for s in trace.sources] == [
        ("loop_users.output.collection[1]", Match.CONTAINS)
    ]


def test_value_from_an_earlier_step_output():
    fetch = entry(
        1, "fetch_user", stepName="Fetch user", output={"user": {"email": "jane@acme.io"}}
    )
    send = entry(
        2, "send_email", input={"recipients": [{"email": "x@y.io"}, {"email": "jane@acme.io"}]}
    )

    traces = by_path(trace_input(send, run_input=None, trigger=None, loop=None, earlier=[fetch]))

    (source,) = traces["input.recipients[1].email"].sources
    assert traces["input.recipients[1].email"].json_path == ("recipients", 1, "email")
    assert source.kind is SourceKind.STEP_OUTPUT
    assert source.entry_index == 1
    assert source.step_label == "Fetch user"
    assert source.path == "fetch_user.output.user.email"
    assert traces["input.recipients[0].email"].is_literal


# --- ranking -----------------------------------------------------------------------------


def test_ranking_loop_item_then_nearer_step_then_farther_step():
    value = "jane@acme.io"
    trigger = trigger_entry({"email": value})
    far = entry(1, "lookup", output={"email": value})
    loop = loop_entry([value], index=2)
    near = entry(3, "enrich", iteration=1, output={"email": value})
    step = entry(4, "send", iteration=1, input={"email": value})

    # `earlier` in an arbitrary order: nearness is by position in steps_log.
    (trace,) = trace_input(
        step, run_input={"email": value}, trigger=trigger, loop=loop, earlier=[near, trigger, far]
    )

    assert [(s.kind, s.entry_index) for s in trace.sources] == [
        (SourceKind.LOOP_ITEM, 2),
        (SourceKind.STEP_OUTPUT, 3),
        (SourceKind.STEP_OUTPUT, 1),
    ]


def test_trigger_ranks_above_run_input_and_exact_above_contains():
    trigger = trigger_entry({"title": "Quarterly report"})
    loop = loop_entry(["Quarterly"])
    step = entry(2, "send", iteration=1, input={"subject": "Quarterly report"})

    (trace,) = trace_input(
        step, run_input={"other": "Quarterly report"}, trigger=trigger, loop=loop, earlier=[]
    )

    assert [(s.kind, s.match) for s in trace.sources] == [
        (SourceKind.TRIGGER_OUTPUT, Match.EXACT),
        (SourceKind.LOOP_ITEM, Match.CONTAINS),
    ]


def test_each_source_entry_is_shown_before_a_second_path_in_the_same_entry():
    value = "ACME Corporation"
    busy = entry(2, "crm", output={"a": value, "b": value, "c": value, "d": value})
    other = entry(1, "lookup", output={"company": value})
    step = entry(3, "send", input={"company": value})

    (trace,) = trace_input(step, run_input=None, trigger=None, loop=None, earlier=[other, busy])

    # Without the one-per-entry pass, crm's four equal places would fill all three slots.
    assert [s.path for s in trace.sources] == [
        "crm.output.a",
        "crm.output.b",
        "lookup.output.company",
    ]


def test_same_key_name_breaks_a_tie_inside_one_source():
    fetch = entry(1, "fetch", output={"owner": "Jane Roe", "author": "Jane Roe"})
    step = entry(2, "send", input={"author": "Jane Roe"})

    (trace,) = trace_input(step, run_input=None, trigger=None, loop=None, earlier=[fetch])

    assert trace.sources[0].path == "fetch.output.author"


def test_longer_contained_string_ranks_first():
    fetch = entry(1, "fetch", output={"first": "John", "full": "John Doe"})
    step = entry(2, "send", input={"message": "Hello John Doe!"})

    (trace,) = trace_input(step, run_input=None, trigger=None, loop=None, earlier=[fetch])

    assert [s.path for s in trace.sources] == ["fetch.output.full", "fetch.output.first"]


def test_at_most_three_sources_per_leaf():
    value = "shared-value"
    steps = [entry(i, f"s{i}", output={"v": value}) for i in range(1, 8)]
    step = entry(9, "send", input={"v": value})

    (trace,) = trace_input(step, run_input=None, trigger=None, loop=None, earlier=steps)

    assert [s.entry_index for s in trace.sources] == [7, 6, 5]


# --- what is not matched -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "used"),
    [
        ({"flag": True}, {"enabled": True}),
        # Never matched, not even under the same key.
        ({"flag": True}, {"flag": True}),
        ({"name": None}, {"name": None}),
        ({"name": ""}, {"name": ""}),
        ({"name": "  "}, {"name": "  "}),
        ({"tags": []}, {"tags": []}),
        ({"x": None}, {"y": None}),
        ({"x": ""}, {"y": ""}),
        ({"x": "   "}, {"y": "   "}),
        ({"retries": 3}, {"count": 3}),
        ({"x": 1}, {"y": 1}),
        ({"x": 0}, {"y": 0}),
        ({"x": -1}, {"y": -1}),
        ({"country": "US"}, {"code": "US"}),
        ({"x": {}}, {"y": {}}),
        ({"x": []}, {"y": []}),
        ({"x": "1234"}, {"y": 1234}),
        ({"x": 1234}, {"y": "1234"}),
        ({"first": "Joh"}, {"message": "Hello Joh Smith"}),
        ({"word": "user"}, {"message": "username taken"}),
        ({"word": "mail"}, {"message": "email sent"}),
    ],
)
def test_trivial_or_different_values_are_not_matched(source, used):
    fetch = entry(1, "fetch", output=source)
    step = entry(2, "send", input=used)

    (trace,) = trace_input(step, run_input=source, trigger=None, loop=None, earlier=[fetch])

    assert trace.sources == ()


@pytest.mark.parametrize(
    ("source", "used"),
    [
        ({"count": 3}, {"count": 3}),
        ({"country": "US"}, {"country": "US"}),
        ({"items": [1, 2]}, {"items": [2]}),
        ({"total": 12345}, {"amount": 12345}),
        ({"total": 12345}, {"amount": 12345.0}),
        ({"ratio": 123.5}, {"r": 123.5}),
    ],
)
def test_small_values_match_only_where_key_names_agree_and_large_numbers_always(source, used):
    fetch = entry(1, "fetch", output=source)
    step = entry(2, "send", input=used)

    (trace,) = trace_input(step, run_input=None, trigger=None, loop=None, earlier=[fetch])

    assert [s.match for s in trace.sources] == [Match.EXACT]


# --- unresolved references, shapes ----------------------------------------------------------


def test_unresolved_ref_is_flagged_with_its_expression():
    step = entry(
        2,
        "send",
        input={
            "to": "!ref(steps.fetch_user.output.email)",
            "subject": "Hello !ref( trigger.output.post.author )!",
            "broken": "!ref(steps.x.output",
            "fine": "no reference here",
        },
    )

    traces = by_path(trace_input(step, run_input=None, trigger=None, loop=None, earlier=[]))

    assert traces["input.to"].unresolved_ref == "steps.fetch_user.output.email"
    assert traces["input.subject"].unresolved_ref == "trigger.output.post.author"
    assert traces["input.broken"].unresolved_ref == "steps.x.output"
    assert traces["input.fine"].unresolved_ref is None
    assert not traces["input.to"].is_literal
    assert traces["input.fine"].is_literal


def test_absent_input_has_no_leaves_and_a_scalar_input_is_one_leaf():
    absent = entry(1, "a")
    assert absent.input is MISSING
    assert trace_input(absent, run_input=POST, trigger=None, loop=None, earlier=[]) == []

    scalar = entry(2, "b", input="John Doe")
    (trace,) = trace_input(scalar, run_input=POST, trigger=None, loop=None, earlier=[])
    assert (trace.path, trace.json_path, trace.value) == ("input", (), "John Doe")
    assert trace.sources[0].path == "input_payload.post.author"


def test_empty_containers_are_leaves_and_weird_keys_are_quoted():
    step = entry(1, "a", input={"tags": [], "meta": {}, "a.b": "x", 'say "hi"': {"0": 1}})

    traces = trace_input(step, run_input=None, trigger=None, loop=None, earlier=[])

    assert [(t.path, t.value) for t in traces] == [
        ("input.tags", []),
        ("input.meta", {}),
        ('input["a.b"]', "x"),
        ('input["say \\"hi\\""]["0"]', 1),
    ]


def test_leaves_are_capped():
    step = entry(1, "a", input={"rows": list(range(10_000))})

    traces = trace_input(step, run_input=None, trigger=None, loop=None, earlier=[], max_leaves=50)

    assert len(traces) == 50
    assert traces[-1].path == "input.rows[49]"


@pytest.mark.parametrize(
    ("root", "json_path", "expected"),
    [
        ("input", ("recipients", 2, "email"), "input.recipients[2].email"),
        ("a", ("b", 2, "weird key"), 'a.b[2]["weird key"]'),
        ("", ("a", "b"), "a.b"),
        ("", ("send email", "output"), '["send email"].output'),
        ("x", ("", "$ref", "_id", "1st"), 'x[""].$ref._id["1st"]'),
        ("x", ('q"\\\n',), 'x["q\\"\\\\\\n"]'),
        ("x", (), "x"),
    ],
)
def test_format_path(root, json_path, expected):
    assert format_path(root, json_path) == expected


# --- reverse direction ---------------------------------------------------------------------


def test_output_uses_in_later_steps():
    trigger = trigger_entry()
    slack = entry(
        1,
        "action_slack_notify",
        stepName="Notify",
        input={"message": "New post from John Doe on LinkedIn"},
    )
    crm = entry(2, "crm_update", input={"contact": {"name": "John Doe"}, "source": "post_123"})
    unrelated = entry(3, "other", input={"x": "nothing to see"})

    uses = trace_output_uses(trigger, [slack, crm, unrelated])

    assert [
        (u.output_path, u.user_entry_index, u.user_label, u.input_path, u.match) for u in uses
    ] == [
        ("output.post.author", 1, "Notify", "input.message", Match.CONTAINS),
        ("output.post.author", 2, "crm_update", "input.contact.name", Match.EXACT),
        ("output.post.id", 2, "crm_update", "input.source", Match.EXACT),
    ]
    assert uses[1].json_path == ("post", "author")
    assert uses[1].input_json_path == ("contact", "name")


def test_output_uses_under_one_selected_leaf_of_a_long_collection():
    items = [f"user{i}@example.com" for i in range(20_000)]
    loop = loop_entry(items)
    later = [entry(2 + i, "send", iteration=i + 1, input={"to": items[i]}) for i in range(20_000)]

    uses = trace_output_uses(loop, later, under=("collection", 15_000))

    assert [(u.output_path, u.user_entry_index, u.input_path) for u in uses] == [
        ("output.collection[15000]", 15_002, "input.to")
    ]
    assert uses[0].json_path == ("collection", 15_000)
    assert trace_output_uses(loop, later, under=("collection", 99_999)) == []
    assert trace_output_uses(loop, later, under=("nothing",)) == []
    assert len(trace_output_uses(loop, later, under=("collection",), max_uses=7)) == 7


def test_output_uses_are_capped_and_skip_the_entry_itself():
    fetch = entry(1, "fetch", input={"email": "jane@acme.io"}, output={"email": "jane@acme.io"})
    later = [entry(i, f"s{i}", input={"to": "jane@acme.io"}) for i in range(2, 30)]

    uses = trace_output_uses(fetch, [fetch, *later], max_uses=5)

    assert [u.user_entry_index for u in uses] == [2, 3, 4, 5, 6]
    assert trace_output_uses(entry(1, "x"), later) == []


# --- large and hostile data -------------------------------------------------------------------


def nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


@pytest.mark.slow
def test_nine_hundred_levels_deep_do_not_raise():
    deep = nested(900, "deep value here")
    fetch = entry(1, "fetch", output=deep)
    step = entry(2, "send", input=deep, output=deep)

    (trace,) = trace_input(step, run_input=deep, trigger=None, loop=None, earlier=[fetch])
    assert len(trace.json_path) == 900
    assert resolve(deep, trace.json_path) == "deep value here"
    assert trace.sources[0].path.startswith("fetch.output.a[0].a[0]")

    (use,) = trace_output_uses(step, [entry(3, "next", input=deep)])
    assert len(use.input_json_path) == 900


@pytest.mark.slow
def test_five_megabyte_strings_do_not_raise():
    huge = "New post from John Doe " + "x" * 5_000_000 + " !ref(" + "y" * 10_000
    trigger = trigger_entry()
    big = entry(1, "fetch", output={"body": huge, "words": " word" * 1_000_000})
    step = entry(2, "send", input={"body": huge, "copy": "prefix " + huge})

    traces = by_path(trace_input(step, run_input=POST, trigger=trigger, loop=None, earlier=[big]))

    assert traces["input.body"].sources[0].path == "fetch.output.body"
    assert traces["input.body"].sources[0].match is Match.EXACT
    assert traces["input.copy"].sources[0].match is Match.CONTAINS
    assert traces["input.body"].unresolved_ref is not None
    assert trace_output_uses(big, [step])


@pytest.mark.slow
def test_many_leaves_against_many_source_strings_complete():
    sources = {f"k{i}": f"source value number {i:05d}" for i in range(2000)}
    inputs = {
        f"i{i}": (f"text with source value number {i:05d} inside" if i % 2 else f"lit {i}")
        for i in range(2000)
    }
    fetch = entry(1, "fetch", output=sources)
    step = entry(2, "send", input=inputs)

    traces = trace_input(step, run_input=sources, trigger=None, loop=None, earlier=[fetch])

    assert len(traces) == 2000
    assert all(bool(t.sources) == (i % 2 == 1) for i, t in enumerate(traces))


# --- anything the database may hold ----------------------------------------------------------

# Values shared between inputs and sources, so that the fuzz exercises matching too.
SHARED_STRINGS = [
    "John Doe",
    "New post from John Doe",
    "Hello John Doe!",
    "user2@example.com",
    "mail user2@example.com now",
    "user2",
    "#sales-alerts",
    "see #sales-alerts",
    "!ref(steps.a.output.b)",
    "US",
    "",
    " ",
]
shared = st.sampled_from([*SHARED_STRINGS, 0, 1, 3, 12345, 12345.0, 10**400, 123.25, -0.0])
json_scalars = (
    shared
    | shared
    | shared
    | st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_keys = st.text(max_size=6) | st.sampled_from(["email", "to", "name", "a b", "", "collection"])
json_values = json_trees(json_scalars, json_keys, max_size=5, max_leaves=25)
maybe_missing = json_values | st.just(MISSING)

WELL_FORMED = re.compile(
    r'input(?:\.[A-Za-z_$][A-Za-z0-9_$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*\Z', re.DOTALL
)


def make(index: int, step_id: str, **fields: Any) -> StepEntry:
    return entry(index, step_id, **{k: v for k, v in fields.items() if v is not MISSING})


def check_source(source: Source, leaf: Any, fields: dict[tuple[str, int | None], Any]) -> None:
    found = resolve(fields[(source.field, source.entry_index)], source.json_path)
    if source.match is Match.EXACT:
        assert found == leaf
        assert type(found) is type(leaf) or {type(found), type(leaf)} <= {int, float}
    else:
        assert isinstance(found, str)
        assert isinstance(leaf, str)
        assert found in leaf
        assert found != leaf


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    run_input=maybe_missing,
    trigger_output=maybe_missing,
    collection=st.lists(json_values, max_size=4) | json_values,
    iteration=st.integers(min_value=1, max_value=5) | st.none(),
    earlier_outputs=st.lists(maybe_missing, max_size=3),
    step_input=maybe_missing,
)
def test_any_json_never_raises_and_paths_are_well_formed(
    run_input, trigger_output, collection, iteration, earlier_outputs, step_input
):
    trigger = make(0, "trigger", operation="trigger", output=trigger_output)
    loop = entry(1, "loop", operation="builtin:loop", output={"collection": collection})
    earlier = [make(2 + i, f"s{i}", output=out) for i, out in enumerate(earlier_outputs)]
    step = make(9, "step", input=step_input, iteration=iteration, output=step_input)

    traces = trace_input(step, run_input=run_input, trigger=trigger, loop=loop, earlier=earlier)

    fields: dict[tuple[str, int | None], Any] = {
        ("input_payload", None): run_input,
        ("output", 0): trigger_output,
        ("output", 1): loop.output,
    }
    fields.update({("output", e.index): e.output for e in earlier})
    if step_input is MISSING:
        assert traces == []
    for trace in traces:
        assert WELL_FORMED.match(trace.path), trace.path
        assert trace.path == format_path("input", trace.json_path)
        assert resolve(step_input, trace.json_path) is trace.value
        assert len(trace.sources) <= 3
        for source in trace.sources:
            check_source(source, trace.value, fields)
            if source.kind is SourceKind.LOOP_ITEM:
                assert source.json_path[:2] == ("collection", (iteration or 0) - 1)

    later = [make(10 + i, f"l{i}", input=out) for i, out in enumerate(earlier_outputs)]
    under = traces[0].json_path[:2] if traces else ()
    uses = trace_output_uses(step, later) + trace_output_uses(step, later, under=under)
    for use in uses:
        user = next(e for e in later if e.index == use.user_entry_index)
        assert use.output_path == format_path("output", use.json_path)
        assert use.input_path == format_path("input", use.input_json_path)
        used = resolve(user.input, use.input_json_path)
        produced = resolve(step.output, use.json_path)
        assert produced == used if use.match is Match.EXACT else produced in used
