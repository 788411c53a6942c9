"""Adaptive refresh: the tool's query time stays under 5 % of the time, and it says why."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wflog_tui.model.refresh_pacing import RefreshPacer, format_seconds

bases = st.floats(min_value=0.5, max_value=600, allow_nan=False)
costs = st.floats(min_value=0, max_value=1000, allow_nan=False)
budgets = st.floats(min_value=0.01, max_value=0.5, allow_nan=False)


def test_fast_queries_keep_the_users_interval():
    pacer = RefreshPacer(2.0)
    for _ in range(10):
        pacer.record(0.01)
    assert pacer.next_interval() == 2.0
    assert not pacer.slowed
    assert pacer.reason("no index on started_at") is None


def test_one_slow_cycle_slows_refresh_at_once_and_says_why():
    pacer = RefreshPacer(2.0)
    pacer.record(0.02)
    pacer.record(1.0)
    assert pacer.next_interval() == 20.0
    assert pacer.slowed
    assert pacer.reason("no index on started_at, see `wflog-tui doctor`") == (
        "refresh slowed to 20 s: queries take 1.0 s — no index on started_at, "
        "see `wflog-tui doctor`"
    )
    assert pacer.reason() == "refresh slowed to 20 s: queries take 1.0 s"


def test_recovery_is_gradual_but_complete():
    pacer = RefreshPacer(2.0)
    pacer.record(1.0)
    intervals = []
    for _ in range(30):
        pacer.record(0.01)
        intervals.append(pacer.next_interval())
    # One fast cycle after a slow one does not snap back to 2 s ...
    assert intervals[0] > 2.0
    # ... each later one only lengthens the wait less ...
    assert intervals == sorted(intervals, reverse=True)
    # ... and once the database is fast again, the user's interval is back.
    assert intervals[-1] == 2.0
    assert not pacer.slowed


def test_changing_the_base_keeps_the_measured_cost():
    pacer = RefreshPacer(2.0)
    pacer.record(0.2)
    assert pacer.next_interval() == 4.0
    pacer.base_s = 10.0
    assert pacer.next_interval() == 10.0 and not pacer.slowed
    pacer.base_s = 0.5
    assert pacer.next_interval() == 4.0 and pacer.slowed


def test_the_cap_holds_and_the_message_still_explains():
    pacer = RefreshPacer(2.0, max_s=60)
    pacer.record(30.0)
    assert pacer.next_interval() == 60.0
    assert pacer.reason() == "refresh slowed to 60 s: queries take 30 s"


def test_a_base_above_the_cap_is_honoured():
    pacer = RefreshPacer(600.0, max_s=300)
    pacer.record(100.0)
    assert pacer.next_interval() == 600.0


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_nonsense_timings_are_ignored(bad):
    pacer = RefreshPacer(2.0)
    pacer.record(0.5)
    pacer.record(bad)
    assert pacer.cost_s == 0.5


@pytest.mark.parametrize("bad", [0.0, -2.0, math.nan, math.inf])
def test_base_must_be_a_positive_number(bad):
    with pytest.raises(ValueError):
        RefreshPacer(bad)
    pacer = RefreshPacer(2.0)
    with pytest.raises(ValueError):
        pacer.base_s = bad


def test_seconds_read_naturally():
    assert [format_seconds(s) for s in (0.35, 1.0, 20.0, 120.0, 150.0)] == [
        "0.35 s",
        "1.0 s",
        "20 s",
        "2 min",
        "2.5 min",
    ]


@given(base=bases, budget=budgets, max_s=st.floats(1, 3600), timings=st.lists(costs, max_size=40))
def test_interval_is_between_base_and_ceiling(base, budget, max_s, timings):
    pacer = RefreshPacer(base, budget=budget, max_s=max_s)
    for timing in timings:
        pacer.record(timing)
        interval = pacer.next_interval()
        assert base <= interval <= max(max_s, base)
        assert pacer.slowed == (interval > base)


@given(base=bases, budget=budgets, timings=st.lists(costs, min_size=1, max_size=40))
def test_below_the_ceiling_queries_stay_within_budget(base, budget, timings):
    pacer = RefreshPacer(base, budget=budget, max_s=10_000)
    for timing in timings:
        pacer.record(timing)
        interval = pacer.next_interval()
        if interval < pacer.ceiling_s:
            # The cycle just measured, and the smoothed cost, both fit the budget.
            assert timing / interval <= budget * (1 + 1e-9)
            assert pacer.cost_s / interval <= budget * (1 + 1e-9)


@given(base=bases, spike=st.floats(0.001, 100), timings=st.lists(costs, max_size=20))
def test_a_spike_is_felt_at_once(base, spike, timings):
    pacer = RefreshPacer(base)
    for timing in timings:
        pacer.record(timing)
    pacer.record(spike)
    # (Within float rounding: 0.5 / 0.05 is 10.000000000000002.)
    assert pacer.next_interval() >= min(pacer.ceiling_s, spike / pacer.budget) * (1 - 1e-9)


@given(base=bases, budget=budgets, timings=st.lists(costs, min_size=1, max_size=40))
def test_the_reason_never_claims_more_than_the_database_was_measured_to_take(base, budget, timings):
    pacer = RefreshPacer(base, budget=budget)
    for seen, timing in enumerate(timings, start=1):
        pacer.record(timing)
        reason = pacer.reason()
        # The figure shown is the smoothed database time: never above the slowest cycle
        # seen, so a slowdown is never blamed on time the database did not take.
        assert pacer.cost_s <= max(timings[:seen]) * (1 + 1e-9)
        if reason is None:
            assert not pacer.slowed
        else:
            assert f"queries take {format_seconds(pacer.cost_s)}" in reason
            assert reason.startswith(f"refresh slowed to {format_seconds(pacer.next_interval())}")


@given(base=st.floats(min_value=1, max_value=60), fast=st.floats(min_value=0, max_value=0.04))
def test_database_times_within_budget_never_slow_refresh(base, fast):
    # The start-up case of issue 11: 2 ms of database time per refresh keeps the 2 s.
    pacer = RefreshPacer(base)
    for _ in range(5):
        pacer.record(fast)
    assert pacer.next_interval() == base and pacer.reason() is None
