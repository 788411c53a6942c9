"""The simulator writes live runs step by step, and stops cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid

import asyncpg

from tests.waiting import eventually
from wflog_tui.demo.runner import DemoSession, prepare_demo
from wflog_tui.demo.simulator import Simulator
from wflog_tui.demo.table_ddl import TableShape, quote_ident


async def _snapshot(conn, shape) -> dict[str, tuple[str, list]]:
    records = await conn.fetch(f"SELECT run_id, status::text, steps_log FROM {shape.qualified}")
    return {r["run_id"]: (r["status"], json.loads(r["steps_log"])) for r in records}


def _failed_midway(steps_log: list) -> bool:
    loops = [e for e in steps_log if e["operation"] == "builtin:loop"]
    failed = [e for e in steps_log if e["status"] == "FAILED" and e.get("iteration")]
    return bool(loops and failed) and 1 < failed[-1]["iteration"] < failed[-1]["totalItems"]


async def test_runs_advance_step_by_step_to_an_end(table):
    sim = Simulator(table.dsn, table.shape, tick=0.02, rng_seed=3, failing_loop_first=True)
    task = sim.start()
    conn = await asyncpg.connect(table.dsn)
    seen: dict[str, list[tuple[str, list]]] = {}
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for run_id, state in (await _snapshot(conn, table.shape)).items():
                seen.setdefault(run_id, []).append(state)
            grew = [
                states
                for states in seen.values()
                if states[0][0] == "RUNNING"
                and states[-1][0] in ("COMPLETED", "FAILED", "TIMED_OUT", "CANCELED")
                and len(states[-1][1]) > len(states[0][1])
            ]
            loop_failed = [
                s for s in seen.values() if s[-1][0] == "FAILED" and _failed_midway(s[-1][1])
            ]
            if grew and loop_failed:
                break
            await asyncio.sleep(0.05)
        assert grew, "no run was seen going from RUNNING to an end with more entries"
        assert loop_failed, "the failing loop never failed part-way through"

        # An entry appended as RUNNING is later replaced in place by its ended version.
        replaced = False
        for states in seen.values():
            for (_, before), (_, after) in itertools.pairwise(states):
                last = len(before) - 1
                if before and before[-1]["status"] == "RUNNING" and len(after) > last:
                    same_start = after[last]["startedAt"] == before[-1]["startedAt"]
                    replaced |= same_start and after[last]["status"] != "RUNNING"
        assert replaced

        await sim.stop()
        assert task.done() and not task.cancelled()
        assert sim.last_error is None
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "wflog-demo-simulator"]
        # Runs still in flight were closed, not left RUNNING forever.
        final = await _snapshot(conn, table.shape)
        assert all(status != "RUNNING" for status, _ in final.values())
        assert sim.runs_started == len(final)
    finally:
        await sim.stop()
        await conn.close()


async def test_cancelling_the_task_cancels_runs_in_flight(make_table):
    handle = await make_table(status_enum=False, json_type="json", timestamp_type="timestamptz")
    sim = Simulator(handle.dsn, handle.shape, tick=0.02, rng_seed=11, concurrency=6)
    task = asyncio.create_task(sim.run())
    # As many runs as may be in flight at once: some are mid-way when the task is cancelled.
    await eventually(lambda: sim.runs_started >= sim.concurrency, "the simulator filled up")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    conn = await asyncpg.connect(handle.dsn)
    try:
        final = await _snapshot(conn, handle.shape)
    finally:
        await conn.close()
    assert final
    assert all(status != "RUNNING" for status, _ in final.values())
    assert all(e["status"] != "RUNNING" for _, log in final.values() for e in log)


async def test_demo_session_prepares_and_simulates_in_a_thread(pg_dsn):
    shape = TableShape(schema=f"t_{uuid.uuid4().hex[:12]}")
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert (await prepare_demo(pg_dsn, shape, runs=40)).seeded == 40
        again = await prepare_demo(pg_dsn, shape, runs=40)
        assert (again.seeded, again.kept) == (0, 40)
        session = DemoSession(pg_dsn, shape, tick=0.02, rng_seed=5)
        with session:
            await eventually(lambda: session.simulator.runs_started > 0, "the demo started a run")
            assert session.running
        assert not session.running and session.error is None
        assert session.simulator.runs_started > 0
        count = await conn.fetchval(f"SELECT count(*) FROM {shape.qualified}")
        assert count == 40 + session.simulator.runs_started
        assert (await prepare_demo(pg_dsn, shape, runs=40, reset=True)).seeded == 40
    finally:
        await conn.execute(f"DROP SCHEMA {quote_ident(shape.schema)} CASCADE")
        await conn.close()
