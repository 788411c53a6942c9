"""Three days of history for the demo table: the spec's examples, featured runs and the rest.

The history is a pure function of `now` and `rng_seed` (`history_rows`), so screenshots and
tests see the same rows every time. It holds:

- the spec's three example runs, verbatim, shifted to the last two hours;
- featured runs with fixed run ids (`FEATURED_RUNS`) that show what the app is for: a
  5,000-item loop failing at iteration 4,812, a 1,200-item loop that completed, retries
  that recovered and retries that did not, a step that failed with no `endedAt`, an
  unresolved `!ref()` in an input, error messages with markup, ANSI and bidi characters,
  runs timed out, canceled and still running;
- scheduled and event-driven runs across five organisations, mostly COMPLETED, with an
  incident at Globex in the last hour (its Slack channel was archived).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import asyncpg

from wflog_tui.demo.ids import CROCKFORD, cuid, ulid
from wflog_tui.demo.refund_incident import incident_run, incident_starts
from wflog_tui.demo.row_writer import RowWriter
from wflog_tui.demo.table_ddl import TableShape
from wflog_tui.demo.workflows import (
    CATALOG,
    ORGS,
    RETRY_EXHAUSTED,
    RETRY_RECOVERED,
    UNRESOLVED_FAILS,
    UNRESOLVED_SILENT,
    Failure,
    Org,
    RunScript,
    Scenario,
    build_run,
    definition_ids,
)
from wflog_tui.model import status as st

DEFAULT_RUNS: Final = 1500
HISTORY_DAYS: Final = 3
_ORG: Final = {org.id: org for org in ORGS}

# The spec elides run ids ("01HW..."); these complete them.
SPEC_RUN_IDS: Final = {
    "clxyz123abc": "01HWK3Z9Q4T7N2RBX8M5C6D1EA",
    "clxyz456def": "01HXPQ7V2M8J4K6R9T3W5Y1B0C",
    "clxyz789ghi": "01HYA4B8C2D6E0F3G7H1J5K9M2",
}


def _featured_id(tag: str) -> str:
    # Fixed ids that do not move with `now` or the seed, so docs and tests can name them.
    number = int.from_bytes(hashlib.sha256(tag.encode()).digest()[:14], "big")
    tail = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in range(22))
    return "01JD" + tail


@dataclass(frozen=True, slots=True)
class _Featured:
    tag: str
    workflow: str
    org: str
    scenario: Scenario
    ago: timedelta


_FEATURED: Final = (
    _Featured(
        "big_loop_failure",
        "csv_import",
        "org_acme",
        Scenario(st.FAILED, loop_size=5000, fail_iteration=4812),
        timedelta(hours=5, minutes=12),
    ),
    _Featured(
        "big_loop_completed",
        "nightly_invoice_batch",
        "org_globex",
        Scenario(loop_size=1200),
        timedelta(hours=8, minutes=3),
    ),
    _Featured(
        "retry_recovered",
        "enrich_leads_with_clearbit",
        "org_initech",
        Scenario(retry=RETRY_RECOVERED),
        timedelta(hours=2, minutes=41),
    ),
    _Featured(
        "retry_exhausted",
        "daily_digest_email",
        "org_umbrella",
        Scenario(st.FAILED, fail_step="fetch_metrics", retry=RETRY_EXHAUSTED),
        timedelta(hours=6, minutes=30),
    ),
    _Featured(
        "unexpected_termination",
        "sync_hubspot_contacts",
        "org_globex",
        Scenario(
            st.FAILED,
            loop_size=40,
            fail_iteration=23,
            unterminated=True,
            error=Failure(
                "Worker process exited unexpectedly (signal: SIGKILL)", "WorkerLostError"
            ),
        ),
        timedelta(hours=4, minutes=5),
    ),
    _Featured(
        "unresolved_ref_failed",
        "user_onboarding_emails",
        "org_hooli",
        Scenario(
            st.FAILED,
            loop_size=9,
            fail_iteration=4,
            fail_step="send_email",
            unresolved_ref=UNRESOLVED_FAILS,
        ),
        timedelta(hours=1, minutes=18),
    ),
    _Featured(
        "unresolved_ref_silent",
        "user_onboarding_emails",
        "org_acme",
        Scenario(loop_size=6, unresolved_ref=UNRESOLVED_SILENT),
        timedelta(hours=9, minutes=44),
    ),
    _Featured(
        "data_flow",
        "stripe_refund_handler",
        "org_acme",
        Scenario(),
        timedelta(minutes=37),
    ),
    _Featured(
        "hostile_markup",
        "webhook_to_notion",
        "org_initech",
        Scenario(
            st.FAILED,
            fail_step="create_page",
            error=Failure(
                "[bold red]boom[/] Notion answered 502 — see [link=http://x]status page[/link]",
                "APIResponseError",
            ),
        ),
        timedelta(minutes=52),
    ),
    _Featured(
        "hostile_ansi",
        "github_issue_triage",
        "org_hooli",
        Scenario(
            st.FAILED,
            fail_step="add_labels",
            error=Failure(
                "\x1b[31mERROR\x1b[0m gh: Resource not accessible by integration "
                "\x1b[2m(HTTP 403)\x1b[0m",
                "HttpError",
            ),
        ),
        timedelta(hours=2, minutes=2),
    ),
    _Featured(
        "hostile_bidi",
        "csv_import",
        "org_umbrella",
        Scenario(
            st.FAILED,
            fail_step="parse_csv",
            error=Failure("Unsupported file type: invoice_\u202efdp.exe", "CsvParseError"),
        ),
        timedelta(hours=3, minutes=27),
    ),
    _Featured(
        "timed_out",
        "daily_digest_email",
        "org_initech",
        Scenario(st.TIMED_OUT, halt_at=1),
        timedelta(hours=7, minutes=15),
    ),
    _Featured(
        "canceled_loop",
        "nightly_invoice_batch",
        "org_hooli",
        # Step 0 lists subscriptions; each iteration then has two steps: 75 is iteration 38.
        Scenario(st.CANCELED, loop_size=300, halt_at=75),
        timedelta(hours=10, minutes=58),
    ),
    _Featured(
        "running_stuck",
        "sync_hubspot_contacts",
        "org_acme",
        Scenario(st.RUNNING, loop_size=30, halt_at=5),
        timedelta(hours=3, minutes=3),
    ),
    _Featured(
        "running_loop",
        "csv_import",
        "org_hooli",
        Scenario(st.RUNNING, loop_size=800, halt_at=400),
        timedelta(minutes=1, seconds=30),
    ),
    _Featured(
        "running_now",
        "new_post_to_slack",
        "org_globex",
        Scenario(st.RUNNING, halt_at=0),
        timedelta(seconds=4),
    ),
)

FEATURED_RUNS: Final = {
    "spec_completed": SPEC_RUN_IDS["clxyz123abc"],
    "spec_failed": SPEC_RUN_IDS["clxyz456def"],
    "spec_loop": SPEC_RUN_IDS["clxyz789ghi"],
    **{featured.tag: _featured_id(featured.tag) for featured in _FEATURED},
}


# --- the spec's examples -------------------------------------------------------------------

_SPEC_ANCHOR: Final = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


def _spec_time(text: str, delta: timedelta) -> str:
    moment = datetime.fromisoformat(text) + delta
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


def _shift_entries(entries: list[dict[str, Any]], delta: timedelta) -> list[dict[str, Any]]:
    for entry in entries:
        for key in ("startedAt", "endedAt"):
            if key in entry:
                entry[key] = _spec_time(entry[key], delta)
    return entries


def spec_example_rows(now: datetime) -> list[dict[str, Any]]:
    """The spec's three example runs, their times moved so the last starts 25 minutes ago.

    The spec writes the trigger's output as `{ "post": { "..." } }`, which is not JSON; it
    stands for the event payload, so the payload is used. Columns the spec leaves out of an
    example are filled in as the platform would; everything it shows is kept as it is.
    """
    anchor = now.astimezone(UTC).replace(microsecond=0) - timedelta(minutes=25)
    delta = anchor - _SPEC_ANCHOR
    acme = _ORG["org_acme"]
    post_ids = definition_ids(acme, CATALOG["new_post_to_slack"])
    onboarding_ids = definition_ids(acme, CATALOG["user_onboarding_emails"])

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text) + delta

    post_ok = {
        "post": {"id": "post_123", "platform": "linkedin", "author": "John Doe", "content": "..."}
    }
    post_failed = {"post": {"id": "post_456", "platform": "twitter", "author": "Jane Smith"}}
    # Slack's `ts` is the message's Unix time; it moves with the run.
    slack_ts = f"{1705318205 + int(delta.total_seconds())}.123456"
    trigger = {
        "status": "COMPLETED",
        "stepId": "trigger_new_post",
        "operation": "trigger",
        "stepName": "New Post Trigger",
    }
    completed = {
        "id": "clxyz123abc",
        "run_id": SPEC_RUN_IDS["clxyz123abc"],
        "workflow_name": "New Post to Slack",
        "event_id": "01HWK3Z9PZ0YQ4E7V2M8N5R6TA",
        "event_name": "post/created",
        "status": "COMPLETED",
        "started_at": at("2024-01-15T10:30:00+00:00"),
        "ended_at": at("2024-01-15T10:30:05+00:00"),
        "duration_ms": 5234,
        "input_payload": post_ok,
        "steps_log": _shift_entries(
            [
                {
                    **trigger,
                    "output": post_ok,
                    "startedAt": "2024-01-15T10:30:00Z",
                    "endedAt": "2024-01-15T10:30:00Z",
                    "durationMs": 10,
                },
                {
                    "status": "COMPLETED",
                    "stepId": "action_slack_notify",
                    "operation": "slack",
                    "stepName": "Notify Sales Channel",
                    "input": {
                        "channel": "#sales-alerts",
                        "message": "New post from John Doe on LinkedIn",
                    },
                    "output": {"ts": slack_ts},
                    "startedAt": "2024-01-15T10:30:01Z",
                    "endedAt": "2024-01-15T10:30:05Z",
                    "durationMs": 4000,
                },
            ],
            delta,
        ),
        "output_payload": {"success": True},
        "error": None,
        "error_stack": None,
        "organisation_id": acme.id,
        **post_ids,
    }
    failed = {
        "id": "clxyz456def",
        "run_id": SPEC_RUN_IDS["clxyz456def"],
        "workflow_name": "New Post to Slack",
        "event_id": "01HXPQ7V1Z3K8M2N6R4T9W0Y5B",
        "event_name": "post/created",
        "status": "FAILED",
        "started_at": at("2024-01-15T11:00:00+00:00"),
        "ended_at": at("2024-01-15T11:00:02+00:00"),
        "duration_ms": 2100,
        "input_payload": post_failed,
        "steps_log": _shift_entries(
            [
                {
                    **trigger,
                    "output": post_failed,
                    "startedAt": "2024-01-15T11:00:00Z",
                    "endedAt": "2024-01-15T11:00:00Z",
                    "durationMs": 10,
                },
                {
                    "status": "FAILED",
                    "stepId": "action_slack_notify",
                    "operation": "slack",
                    "stepName": "Notify Sales Channel",
                    "input": {
                        "channel": "#nonexistent-channel",
                        "message": "New post from Jane Smith",
                    },
                    "error": {"message": "channel_not_found", "name": "SlackAPIError"},
                    "startedAt": "2024-01-15T11:00:01Z",
                    "endedAt": "2024-01-15T11:00:02Z",
                    "durationMs": 1000,
                },
            ],
            delta,
        ),
        "output_payload": None,
        "error": "Action failed: channel_not_found",
        "error_stack": "SlackAPIError: channel_not_found\n    at SlackAction.execute...",
        "organisation_id": acme.id,
        **post_ids,
    }
    loop = {
        "id": "clxyz789ghi",
        "run_id": SPEC_RUN_IDS["clxyz789ghi"],
        "workflow_name": "User Onboarding Emails",
        "event_id": "01HYA4B8BZ7Q2M5K9R3T6W1X0C",
        "event_name": "cohort/ready",
        "status": "FAILED",
        "started_at": at("2024-01-15T12:00:00+00:00"),
        "ended_at": at("2024-01-15T12:00:04+00:00"),
        "duration_ms": 4000,
        "input_payload": {"userIds": ["user1", "user2", "user3"]},
        "steps_log": _shift_entries(
            [
                {
                    "status": "COMPLETED",
                    "stepId": "trigger",
                    "operation": "trigger",
                    "startedAt": "2024-01-15T12:00:00Z",
                    "endedAt": "2024-01-15T12:00:00Z",
                },
                {
                    "status": "COMPLETED",
                    "stepId": "loop_users",
                    "operation": "builtin:loop",
                    "stepName": "Process Each User",
                    "output": {"collection": ["user1", "user2", "user3"], "totalItems": 3},
                    "startedAt": "2024-01-15T12:00:01Z",
                    "endedAt": "2024-01-15T12:00:01Z",
                },
                {
                    "status": "COMPLETED",
                    "stepId": "send_email",
                    "operation": "email",
                    "iteration": 1,
                    "totalItems": 3,
                    "input": {"to": "user1@example.com"},
                    "startedAt": "2024-01-15T12:00:02Z",
                    "endedAt": "2024-01-15T12:00:03Z",
                },
                {
                    "status": "FAILED",
                    "stepId": "send_email",
                    "operation": "email",
                    "iteration": 2,
                    "totalItems": 3,
                    "input": {"to": "invalid-email"},
                    "error": {"message": "Invalid email address format"},
                    "startedAt": "2024-01-15T12:00:04Z",
                    "endedAt": "2024-01-15T12:00:04Z",
                },
            ],
            delta,
        ),
        "output_payload": None,
        "error": "Action failed: Invalid email address format",
        "error_stack": "Error: Invalid email address format\n    at EmailAction.execute...",
        "organisation_id": acme.id,
        **onboarding_ids,
    }
    return [completed, failed, loop]


# --- the generated history -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    workflow: str
    org: Org
    started_at: datetime
    scenario: Scenario


def _fit(plan: _Plan, now: datetime, seed: int, pick_seed: int, margin: timedelta) -> RunScript:
    """Build the run, moved earlier if it would otherwise end after `now - margin`."""
    workflow = CATALOG[plan.workflow]
    # Whole milliseconds, as a `timestamp(3)` column and the entries' ISO strings hold them.
    started = _millis(plan.started_at)
    script = build_run(
        workflow, plan.org, plan.scenario, started, seed=seed, pick=random.Random(pick_seed)
    )
    latest = started + timedelta(milliseconds=script.span_ms)
    if script.ended_at is not None:
        latest = max(latest, script.ended_at)
    if latest > now - margin:
        started = _millis(started - (latest - (now - margin)))
        script = build_run(
            workflow, plan.org, plan.scenario, started, seed=seed, pick=random.Random(pick_seed)
        )
    return script


def _millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _scheduled(now: datetime, start: datetime) -> list[_Plan]:
    plans: list[_Plan] = []
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for days in range(HISTORY_DAYS + 1):
        day = midnight - timedelta(days=days)
        for org_id in ("org_acme", "org_globex", "org_umbrella"):
            plans.append(
                _Plan("nightly_invoice_batch", _ORG[org_id], day + timedelta(hours=2), Scenario())
            )
        for org_id in ("org_acme", "org_initech", "org_umbrella", "org_hooli"):
            plans.append(
                _Plan("daily_digest_email", _ORG[org_id], day + timedelta(hours=7), Scenario())
            )
        for hour in range(24):
            for org_id in ("org_acme", "org_globex"):
                moment = day + timedelta(hours=hour, minutes=15 if org_id == "org_acme" else 45)
                plans.append(_Plan("sync_hubspot_contacts", _ORG[org_id], moment, Scenario()))
    return [plan for plan in plans if start <= plan.started_at <= now - timedelta(minutes=2)]


_EVENT_WORKFLOWS: Final = (
    ("new_post_to_slack", 22),
    ("enrich_leads_with_clearbit", 18),
    ("webhook_to_notion", 14),
    ("github_issue_triage", 12),
    ("stripe_refund_handler", 8),
    ("zendesk_ticket_summary", 8),
    ("csv_import", 6),
    ("user_onboarding_emails", 5),
)
_ORG_WEIGHTS: Final = (30, 25, 15, 15, 15)
_OUTCOMES: Final = (
    (st.COMPLETED, 83.0),
    (st.FAILED, 12.0),
    (st.TIMED_OUT, 2.5),
    (st.CANCELED, 2.5),
)
_INCIDENT: Final = timedelta(minutes=50)
# Runs of the refund incident's new version in the history (see `refund_incident`).
_REFUND_INCIDENT_RUNS: Final = 70
_ARCHIVED: Final = Failure("is_archived", "SlackAPIError")


def _random_start(rng: random.Random, now: datetime, start: datetime) -> datetime:
    span = (now - timedelta(minutes=2) - start).total_seconds()
    while True:
        moment = start + timedelta(seconds=rng.uniform(0, span))
        # Fewer events at night: people post, sign up and refund during the working day.
        if 7 <= moment.hour < 19 or rng.random() < 0.35:
            return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _scenario(
    rng: random.Random, plan_workflow: str, org: Org, started: datetime, now: datetime
) -> Scenario:
    outcome = rng.choices([o for o, _ in _OUTCOMES], weights=[w for _, w in _OUTCOMES])[0]
    loop_size = None
    if CATALOG[plan_workflow].has_loop and rng.random() < 0.04:
        loop_size = rng.randint(150, 1500)
    unresolved = None
    if plan_workflow == "user_onboarding_emails" and rng.random() < 0.1:
        unresolved = UNRESOLVED_SILENT
    error = None
    # The incident: Globex archived its Slack channel, and every post since has failed.
    if (
        org.id == "org_globex"
        and plan_workflow == "new_post_to_slack"
        and now - started < _INCIDENT
    ):
        outcome, error = st.FAILED, _ARCHIVED
    return Scenario(
        outcome,
        loop_size=loop_size,
        retry_rate=0.05,
        unresolved_ref=unresolved,
        error=error,
    )


def history_rows(
    *, now: datetime, rng_seed: int = 7, runs: int = DEFAULT_RUNS
) -> list[dict[str, Any]]:
    """Every row of the seeded history, as dicts keyed by column; the same for the same args.

    `runs` is the number of rows in all: the spec's examples and the featured runs come
    first, scheduled and event-driven runs fill the rest.
    """
    now = now.astimezone(UTC)
    rng = random.Random(rng_seed)
    rows = spec_example_rows(now)

    for featured in _FEATURED:
        plan = _Plan(featured.workflow, _ORG[featured.org], now - featured.ago, featured.scenario)
        script = _fit(plan, now, rng.getrandbits(48), rng.getrandbits(48), timedelta(seconds=1))
        run_id = FEATURED_RUNS[featured.tag]
        rows.append(
            script.row(
                row_id=cuid(script.started_at, rng),
                run_id=run_id,
                event_id=ulid(script.started_at, rng),
            )
        )

    start = now - timedelta(days=HISTORY_DAYS)
    budget = max(0, runs - len(rows))
    plans = _scheduled(now, start)[:budget] if budget else []
    plans = [
        _Plan(p.workflow, p.org, p.started_at, _scenario(rng, p.workflow, p.org, p.started_at, now))
        for p in plans
    ]
    globex = _ORG["org_globex"]
    incident = min(25, max(0, budget - len(plans)))
    for _ in range(incident):
        started = now - timedelta(seconds=rng.uniform(60, _INCIDENT.total_seconds()))
        plans.append(
            _Plan(
                "new_post_to_slack",
                globex,
                started,
                _scenario(rng, "new_post_to_slack", globex, started, now),
            )
        )
    # The refund incident's runs come from their own generator, so the rest of the history
    # stays what it was; they take the place of the last random runs.
    refunds = min(_REFUND_INCIDENT_RUNS, max(0, budget - len(plans)))
    names = [name for name, _ in _EVENT_WORKFLOWS]
    weights = [weight for _, weight in _EVENT_WORKFLOWS]
    while len(plans) < budget - refunds:
        name = rng.choices(names, weights=weights)[0]
        org = rng.choices(ORGS, weights=_ORG_WEIGHTS)[0]
        started = _random_start(rng, now, start)
        plans.append(_Plan(name, org, started, _scenario(rng, name, org, started, now)))

    for plan in plans:
        script = _fit(plan, now, rng.getrandbits(48), rng.getrandbits(48), timedelta(seconds=5))
        rows.append(
            script.row(
                row_id=cuid(script.started_at, rng),
                run_id=ulid(script.started_at, rng),
                event_id=ulid(script.started_at, rng),
            )
        )
    incident_rng = random.Random(rng_seed * 7919 + 1)
    for started in incident_starts(incident_rng, now, refunds):
        script = incident_run(incident_rng, started)
        rows.append(
            script.row(
                row_id=cuid(script.started_at, incident_rng),
                run_id=ulid(script.started_at, incident_rng),
                event_id=ulid(script.started_at, incident_rng),
            )
        )
    return rows


async def seed_history(
    conn: asyncpg.Connection,
    shape: TableShape,
    *,
    now: datetime,
    rng_seed: int = 7,
    runs: int = DEFAULT_RUNS,
    force: bool = False,
) -> int:
    """Write the history into an existing table and return the number of rows written.

    A table that already has rows is left alone (returns 0) unless `force` is set; forced,
    rows whose id or run id is already there are skipped.
    """
    if not force and await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {shape.qualified})"):
        return 0
    rows = history_rows(now=now, rng_seed=rng_seed, runs=runs)
    count_sql = f"SELECT count(*) FROM {shape.qualified}"
    before = await conn.fetchval(count_sql) if force else 0
    await RowWriter(shape).insert(conn, rows, skip_existing=force)
    if not force:
        return len(rows)
    return int(await conn.fetchval(count_sql)) - int(before)
