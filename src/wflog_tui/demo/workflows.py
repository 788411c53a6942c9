"""The platform's workflows: what each one does, step by step, and the `steps_log` it writes.

A workflow is a function that drives a `RunBuilder`. It records the trigger's event payload,
then one step after another, each step's input made of values from the trigger's output,
the loop's current item or an earlier step's output, the way the platform resolves `!ref()`
expressions. The builder, not the workflow, decides from a `Scenario` where a run fails,
times out, is canceled, retries or is still running, so every workflow can end every way.

Both the seeded history and the live simulator are made of the `RunScript`s built here:
the history writes them whole, the simulator replays them entry by entry.
"""

from __future__ import annotations

import functools
import random
import string
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from wflog_tui.model import status as st
from wflog_tui.model.entries import LOOP_OPERATION, TRIGGER_OPERATION

# Steps that time out do so after the platform's per-step limit.
STEP_TIMEOUT_MS: Final = 30_000
RETRY_RECOVERED: Final = "recovered"
RETRY_EXHAUSTED: Final = "exhausted"
UNRESOLVED_FAILS: Final = "fails"
UNRESOLVED_SILENT: Final = "silent"
_NOTHING: Final = object()


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`, as the platform's JavaScript writes it."""
    return iso_millis(round(moment.timestamp() * 1000))


def iso_millis(epoch_ms: int) -> str:
    """`iso` of a Unix time in milliseconds."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{_iso_second(seconds)}.{millis:03d}Z"


@functools.lru_cache(maxsize=8192)
def _iso_second(seconds: int) -> str:
    # Formatting dominates building a big history; runs' entries share their seconds.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


@dataclass(frozen=True, slots=True)
class Org:
    """An organisation of the platform and the settings its workflows use."""

    id: str
    name: str
    domain: str
    slack_channel: str
    currency: str
    notion_database: str


ORGS: Final = (
    Org("org_acme", "Acme Corp", "acme.io", "#sales-alerts", "EUR", "8a1f3c2e9b7d4e01"),
    Org("org_globex", "Globex", "globex.com", "#growth", "USD", "5c7e2a9d1f3b4c88"),
    Org("org_initech", "Initech", "initech.com", "#tps-reports", "USD", "e2b94d1a7c6f0a35"),
    Org("org_umbrella", "Umbrella Co", "umbrella.co", "#ops-feed", "GBP", "3f8d6b2c0e1a9d47"),
    Org("org_hooli", "Hooli", "hooli.xyz", "#bizdev", "USD", "9b0c4e7f2a5d8e16"),
)


@dataclass(frozen=True, slots=True)
class Failure:
    """How a step fails: the error's message and class, and whether the platform retries it."""

    message: str
    name: str = "Error"
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class Scenario:
    """How one run ends and which oddities it shows; the workflow itself never decides this.

    `halt_at` picks the step where a non-COMPLETED run stops (among steps that can fail for
    FAILED, among all steps otherwise); None lets `build_run` pick one. `fail_iteration` and
    `fail_step` (a stepId) instead make a FAILED run fail at the first step that matches
    both. `error` replaces the failing step's own error. `loop_size` overrides the
    workflow's usual number of loop items.
    """

    outcome: str = st.COMPLETED
    halt_at: int | None = None
    fail_iteration: int | None = None
    fail_step: str | None = None
    loop_size: int | None = None
    retry: str | None = None
    retry_rate: float = 0.0
    unterminated: bool = False
    unresolved_ref: str | None = None
    error: Failure | None = None


class _Halt(Exception):
    """Raised inside a workflow when the run stops at the step its scenario chose."""


def _stack(failure: Failure, operation: str) -> str:
    # Line numbers from a checksum, not hash(): they must not change between processes.
    line = 40 + zlib.crc32(operation.encode()) % 400
    action = "".join(part.title() for part in operation.replace(":", "_").split("_"))
    return (
        f"{failure.name}: {failure.message}\n"
        f"    at {action}Action.execute (/app/dist/actions/{operation}.js:{line}:19)\n"
        "    at async executeStep (/app/dist/inngest/execute-step.js:142:24)\n"
        "    at async /app/node_modules/inngest/components/execution/v1.js:702:22"
    )


class RunBuilder:
    """Records the entries of one run as a workflow function calls it.

    Times are kept as milliseconds since the run started and written as ISO strings.
    """

    def __init__(
        self,
        rng: random.Random,
        scenario: Scenario,
        org: Org,
        started_at: datetime,
        halt_at: int | None,
    ) -> None:
        self.rng = rng
        self.scenario = scenario
        self.org = org
        self.started_at = started_at
        self._epoch_ms = round(started_at.timestamp() * 1000)
        self.entries: list[dict[str, Any]] = []
        self.output_payload: Any = {"success": True}
        self.clock_ms = 0
        self.halted: dict[str, Any] | None = None
        self.halt_failure: Failure | None = None
        self.steps = 0
        self.failable = 0
        self._halt_at = halt_at
        self._iteration: int | None = None
        self._total: int | None = None
        self._retried = False

    def at(self, ms: int) -> str:
        """The ISO time `ms` milliseconds after the run started."""
        return iso_millis(self._epoch_ms + ms)

    def epoch_seconds(self) -> float:
        """Unix time of the builder's clock, for values like Slack's message `ts`."""
        return (self.started_at + timedelta(milliseconds=self.clock_ms)).timestamp()

    def loop_size(self, low: int, high: int) -> int:
        """The number of loop items: the scenario's if it sets one, else drawn in range."""
        drawn = self.rng.randint(low, high)
        return self.scenario.loop_size or drawn

    def trigger(self, payload: Any, *, step_id: str = "trigger", name: str | None = None) -> Any:
        """Record the trigger entry; its output is the event payload, returned for use."""
        took = self.rng.randint(4, 25)
        entry: dict[str, Any] = {
            "status": st.COMPLETED,
            "stepId": step_id,
            "operation": TRIGGER_OPERATION,
        }
        if name:
            entry["stepName"] = name
        entry.update(output=payload, startedAt=self.at(0), endedAt=self.at(took), durationMs=took)
        self.entries.append(entry)
        self.clock_ms = took
        return payload

    def loop(
        self, step_id: str, name: str, collection: list[Any], *, name_key: str = "stepName"
    ) -> Iterator[tuple[int, Any]]:
        """Record a `builtin:loop` entry, then yield (iteration, item) for the loop body."""
        start = self.clock_ms + self.rng.randint(2, 30)
        took = self.rng.randint(1, 6)
        total = len(collection)
        self.entries.append(
            {
                "status": st.COMPLETED,
                "stepId": step_id,
                "operation": LOOP_OPERATION,
                name_key: name,
                "output": {"collection": collection, "totalItems": total},
                "startedAt": self.at(start),
                "endedAt": self.at(start + took),
                "durationMs": took,
            }
        )
        self.clock_ms = start + took
        for iteration, item in enumerate(collection, start=1):
            self._iteration, self._total = iteration, total
            yield iteration, item
        self._iteration = self._total = None

    def step(
        self,
        step_id: str,
        operation: str,
        name: str | None,
        input: Any,
        output: Any,
        *,
        failure: Failure | None = None,
        ms: tuple[int, int] = (80, 900),
        name_key: str = "stepName",
    ) -> Any:
        """Record one step (with its retries) and return its output for later steps.

        Raises `_Halt` when the scenario stops the run here.
        """
        index = self.steps
        self.steps += 1
        failable: int | None = None
        if failure is not None:
            failable = self.failable
            self.failable += 1
        halt = self._halts_here(index, failable, step_id)
        base: dict[str, Any] = {"stepId": step_id, "operation": operation}
        if name:
            base[name_key] = name
        base["input"] = input

        attempts = 0
        if failure is not None and failure.retryable and self._iteration is None:
            if halt and self.scenario.outcome == st.FAILED:
                exhausted = self.scenario.retry == RETRY_EXHAUSTED or self.rng.random() < 0.5
                attempts = 2 if exhausted else 0
            elif not halt and self.scenario.retry == RETRY_RECOVERED and not self._retried:
                attempts = 2
            elif not halt and self.rng.random() < self.scenario.retry_rate:
                attempts = self.rng.randint(1, 2)
        for attempt in range(attempts):
            assert failure is not None
            self._emit(base, st.FAILED, ms, error=self._error(failure, operation))
            # The platform backs off exponentially between attempts.
            self.clock_ms += 1000 * 2**attempt + self.rng.randint(0, 400)
            self._retried = True

        if halt:
            self._halt(base, operation, failure, ms)
        self._emit(base, st.COMPLETED, ms, output=output)
        return output

    def finish(self, output_payload: Any) -> None:
        """Set the run's `output_payload` for when it completes."""
        self.output_payload = output_payload

    @property
    def unresolved(self) -> str | None:
        """The scenario's kind of unresolved `!ref()` bug, if this run shows one."""
        return self.scenario.unresolved_ref

    def _halts_here(self, index: int, failable: int | None, step_id: str) -> bool:
        scenario = self.scenario
        if scenario.outcome == st.COMPLETED:
            return False
        if scenario.outcome == st.FAILED:
            if failable is None:
                return False
            if scenario.fail_iteration is None and scenario.fail_step is None:
                return failable == self._halt_at
            return scenario.fail_iteration in (None, self._iteration) and scenario.fail_step in (
                None,
                step_id,
            )
        return index == self._halt_at

    @staticmethod
    def _error(failure: Failure, operation: str) -> dict[str, str]:
        return {
            "message": failure.message,
            "name": failure.name,
            "stack": _stack(failure, operation),
        }

    def _emit(
        self,
        base: dict[str, Any],
        status: str,
        ms: tuple[int, int],
        *,
        output: Any = _NOTHING,
        error: dict[str, str] | None = None,
        took: int | None = None,
        ended: bool = True,
    ) -> dict[str, Any]:
        start = self.clock_ms + self.rng.randint(2, 60)
        took = self.rng.randint(*ms) if took is None else took
        entry = {"status": status, **base}
        if output is not _NOTHING:
            entry["output"] = output
        if error is not None:
            entry["error"] = error
        entry["startedAt"] = self.at(start)
        if ended:
            entry["endedAt"] = self.at(start + took)
            entry["durationMs"] = took
        if self._iteration is not None:
            entry["iteration"] = self._iteration
            entry["totalItems"] = self._total
        self.entries.append(entry)
        self.clock_ms = start + took
        return entry

    def _halt(
        self, base: dict[str, Any], operation: str, failure: Failure | None, ms: tuple[int, int]
    ) -> None:
        outcome = self.scenario.outcome
        if outcome == st.FAILED:
            failure = self.scenario.error or failure
            assert failure is not None
            self.halt_failure = failure
            self.halted = self._emit(
                base,
                st.FAILED,
                ms,
                error=self._error(failure, operation),
                ended=not self.scenario.unterminated,
            )
        elif outcome == st.TIMED_OUT:
            self.halt_failure = Failure(
                f"Step timed out after {STEP_TIMEOUT_MS // 1000}s", "TimeoutError"
            )
            self.halted = self._emit(
                base,
                st.TIMED_OUT,
                ms,
                error={"message": self.halt_failure.message, "name": self.halt_failure.name},
                took=STEP_TIMEOUT_MS,
            )
        elif outcome == st.CANCELED:
            self.halted = self._emit(base, st.CANCELED, ms)
        else:
            self.halted = self._emit(base, st.RUNNING, ms, ended=False)
        raise _Halt


@dataclass(frozen=True, slots=True)
class Workflow:
    """A workflow definition: its names, its trigger's event, and the function that runs it."""

    key: str
    name: str
    event_name: str
    build: Callable[[RunBuilder], None]
    has_loop: bool = False


@dataclass
class RunScript:
    """A run as the platform will have logged it once it ends, times relative to `started_at`."""

    workflow: Workflow
    org: Org
    started_at: datetime
    input_payload: Any
    entries: list[dict[str, Any]]
    status: str
    ended_at: datetime | None
    output_payload: Any
    error: str | None
    error_stack: str | None
    halted: dict[str, Any] | None = field(default=None, repr=False)
    # Milliseconds from the start to the last moment an entry records.
    span_ms: int = 0
    # A version other than the definition's usual one (a deploy the demo stages).
    workflow_version_id: str | None = None

    @property
    def duration_ms(self) -> int | None:
        """Whole milliseconds from start to end; None while running."""
        if self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at).total_seconds() * 1000)

    def row(self, *, row_id: str, run_id: str, event_id: str) -> dict[str, Any]:
        """The table row for this run as it stands at its end (or now, while running)."""
        return {
            "id": row_id,
            "run_id": run_id,
            "workflow_name": self.workflow.name,
            "event_id": event_id,
            "event_name": self.workflow.event_name,
            "input_payload": self.input_payload,
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_ms": self.duration_ms,
            "steps_log": self.entries,
            "output_payload": self.output_payload,
            "error": self.error,
            "error_stack": self.error_stack,
            "organisation_id": self.org.id,
            **definition_ids(self.org, self.workflow),
            **(
                {"workflow_version_id": self.workflow_version_id}
                if self.workflow_version_id
                else {}
            ),
        }


def build_run(
    workflow: Workflow,
    org: Org,
    scenario: Scenario,
    started_at: datetime,
    *,
    seed: int,
    pick: random.Random,
) -> RunScript:
    """Build one run of `workflow`; the same seed and scenario always give the same run.

    When the scenario leaves the halting step open, `pick` chooses it among the steps the
    workflow reached, which takes one extra dry run to count them.
    """

    def attempt(halt_at: int | None) -> tuple[RunBuilder, bool]:
        builder = RunBuilder(random.Random(seed), scenario, org, started_at, halt_at)
        try:
            workflow.build(builder)
        except _Halt:
            return builder, True
        return builder, False

    halt_at = scenario.halt_at
    open_choice = scenario.outcome != st.COMPLETED and halt_at is None
    if scenario.outcome == st.FAILED and (scenario.fail_iteration or scenario.fail_step):
        open_choice = False
    if open_choice:
        dry, _ = attempt(None)
        candidates = dry.failable if scenario.outcome == st.FAILED else dry.steps
        halt_at = pick.randrange(candidates) if candidates else None
    builder, halted = attempt(halt_at)

    status = scenario.outcome if halted else st.COMPLETED
    end_ms = builder.clock_ms + builder.rng.randint(5, 120)
    ended_at = None if status == st.RUNNING else started_at + timedelta(milliseconds=end_ms)
    error = error_stack = None
    failure = builder.halt_failure
    label = _label(builder.halted)
    if status == st.FAILED and failure is not None:
        error = f"Action failed: {failure.message}"
        error_stack = _stack(failure, str((builder.halted or {}).get("operation", "step")))
    elif status == st.TIMED_OUT and failure is not None:
        error = f"Step '{label}' timed out after {STEP_TIMEOUT_MS // 1000}s"
    return RunScript(
        workflow=workflow,
        org=org,
        started_at=started_at,
        input_payload=builder.entries[0].get("output") if builder.entries else None,
        entries=builder.entries,
        status=status,
        ended_at=ended_at,
        output_payload=builder.output_payload if status == st.COMPLETED else None,
        error=error,
        error_stack=error_stack,
        halted=builder.halted,
        span_ms=builder.clock_ms,
    )


def _label(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "step"
    return str(entry.get("stepName") or entry.get("name") or entry.get("stepId"))


# --- fake but plausible data --------------------------------------------------------------

_FIRST: Final = (
    "John", "Jane", "Priya", "Mateo", "Aiko", "Lena", "Omar", "Sofia", "Noah", "Chen",
    "Fatima", "Lucas", "Amara", "Jonas", "Elif", "Diego", "Hana", "Ravi", "Mia", "Tomás",
    "Grace", "Kwame", "Ingrid", "Yusuf", "Chloé", "Mei", "Arjun", "Zoe", "Björn", "Leila",
)  # fmt: skip
_LAST: Final = (
    "Doe", "Smith", "Patel", "García", "Tanaka", "Müller", "Haddad", "Rossi", "Okafor", "Wang",
    "Kowalski", "Silva", "Nguyen", "Johansson", "Yılmaz", "Kim", "Dubois", "Mensah", "Novak",
    "O'Brien", "Fernández", "Ivanova", "Cohen", "Adeyemi", "Larsen", "Schmidt", "Sato",
)  # fmt: skip
_COMPANIES: Final = (
    ("Initrode", "initrode.com"), ("Vandelay Industries", "vandelay.io"),
    ("Soylent", "soylent.co"), ("Stark Logistics", "starklog.com"),
    ("Wayne Analytics", "wayne-analytics.com"), ("Cyberdyne", "cyberdyne.ai"),
    ("Tyrell Labs", "tyrell.dev"), ("Massive Dynamic", "massivedynamic.com"),
    ("Bluth Company", "bluth.co"), ("Pied Piper", "piedpiper.com"),
    ("Dunder Mifflin", "dundermifflin.com"), ("Prestige Worldwide", "prestige.ww"),
)  # fmt: skip
_POSTS: Final = (
    "Excited to announce our Series B! 🚀",
    "5 lessons from scaling our support team to 40 people",
    "We're hiring senior engineers in Berlin and remotely",
    "Our Q3 product update: workflows, audit logs and SSO",
    "Thanks to everyone who joined the webinar yesterday!",
    "Case study: how Initrode cut onboarding time by 60%",
)
_PLATFORMS: Final = {
    "linkedin": "LinkedIn",
    "twitter": "Twitter",
    "instagram": "Instagram",
    "facebook": "Facebook",
}
_B36: Final = string.digits + string.ascii_lowercase


def _token(rng: random.Random, length: int, alphabet: str = _B36) -> str:
    return "".join(rng.choices(alphabet, k=length))


def _person(rng: random.Random, domain: str | None = None) -> dict[str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    company, company_domain = rng.choice(_COMPANIES)
    local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
    local = local.encode("ascii", "ignore").decode() or "user"
    return {
        "firstName": first,
        "lastName": last,
        "email": f"{local}@{domain or company_domain}",
        "company": company,
    }


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def _money(cents: int, currency: str) -> str:
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency, "")
    return f"{symbol}{cents / 100:,.2f}"


# --- the workflows -------------------------------------------------------------------------


def _slack_failure(rng: random.Random) -> Failure:
    message = rng.choice(("channel_not_found", "not_in_channel", "is_archived", "ratelimited"))
    return Failure(message, "SlackAPIError", retryable=message == "ratelimited")


def _slack_output(b: RunBuilder, channel_id: str) -> dict[str, str]:
    return {"ts": f"{b.epoch_seconds():.0f}.{b.rng.randint(0, 999_999):06d}", "channel": channel_id}


def new_post_to_slack(b: RunBuilder) -> None:
    """A social post was published: tell the sales channel who posted where."""
    platform = b.rng.choice(tuple(_PLATFORMS))
    author = f"{b.rng.choice(_FIRST)} {b.rng.choice(_LAST)}"
    post_id = f"post_{b.rng.randint(100, 99_999)}"
    payload = {
        "post": {
            "id": post_id,
            "platform": platform,
            "author": author,
            "content": b.rng.choice(_POSTS),
            "url": f"https://{platform}.com/posts/{post_id}",
        }
    }
    post = b.trigger(payload, step_id="trigger_new_post", name="New Post Trigger")["post"]
    channel_id = "C0" + _token(b.rng, 9, string.digits + string.ascii_uppercase)
    failure = _slack_failure(b.rng)
    b.step(
        "action_slack_notify",
        "slack",
        "Notify Sales Channel",
        {
            "channel": b.org.slack_channel,
            "message": f"New post from {post['author']} on {_PLATFORMS[post['platform']]}",
        },
        _slack_output(b, channel_id),
        failure=failure,
        ms=(300, 4000),
    )
    b.finish({"success": True})


def sync_hubspot_contacts(b: RunBuilder) -> None:
    """Every hour: fetch contacts changed in the CRM export and upsert each into HubSpot."""
    since = b.started_at - timedelta(hours=1)
    portal = 20_000_000 + zlib.crc32(b.org.id.encode()) % 9_000_000
    payload = {"portalId": portal, "since": iso(since), "source": "crm-export"}
    trigger = b.trigger(payload, step_id="cron_hourly", name="Every Hour")
    count = b.loop_size(4, 60)
    contacts = []
    for _ in range(count):
        person = _person(b.rng)
        contacts.append(
            {
                "email": person["email"],
                "firstname": person["firstName"],
                "lastname": person["lastName"],
                "company": person["company"],
                "lifecyclestage": b.rng.choice(("lead", "subscriber", "opportunity")),
            }
        )
    fetched = b.step(
        "fetch_changed_contacts",
        "http",
        "Fetch Changed Contacts",
        {
            "method": "GET",
            "url": f"https://crm.{b.org.domain}/api/contacts?updatedSince={trigger['since']}",
        },
        {"status": 200, "body": {"contacts": contacts, "count": count}},
        failure=Failure("Request failed with status code 502", "HTTPError", retryable=True),
        name_key="name",
    )
    upserted = 0
    for _, contact in b.loop("for_each_contact", "For Each Contact", fetched["body"]["contacts"]):
        contact_id = str(b.rng.randint(10_000, 9_999_999))
        b.step(
            "upsert_contact",
            "hubspot",
            "Upsert Contact",
            {
                "portalId": trigger["portalId"],
                "email": contact["email"],
                "properties": {
                    "firstname": contact["firstname"],
                    "lastname": contact["lastname"],
                    "company": contact["company"],
                    "lifecyclestage": contact["lifecyclestage"],
                },
            },
            {"id": contact_id, "isNew": b.rng.random() < 0.2},
            failure=Failure(
                "429 Too Many Requests: secondly limit reached", "HubSpotRateLimitError"
            ),
            ms=(60, 400),
            name_key="name",
        )
        upserted += 1
    b.finish({"success": True, "upserted": upserted})


def nightly_invoice_batch(b: RunBuilder) -> None:
    """At 02:00: invoice every subscription that is due and email each customer its invoice."""
    currency = b.org.currency
    payload = {"date": _day(b.started_at), "currency": currency, "dryRun": False}
    trigger = b.trigger(payload, step_id="cron_nightly", name="Every Night at 02:00")
    count = b.loop_size(10, 80)
    subscriptions = []
    for _ in range(count):
        person = _person(b.rng)
        subscriptions.append(
            {
                "customerId": "cus_" + _token(b.rng, 14, string.ascii_letters + string.digits),
                "email": person["email"],
                "name": f"{person['firstName']} {person['lastName']}",
                "amount": b.rng.choice((900, 2900, 4900, 9900, 19900, 49900)),
            }
        )
    listed = b.step(
        "list_due_subscriptions",
        "stripe",
        "List Due Subscriptions",
        {"status": "active", "dueOn": trigger["date"], "limit": 10_000},
        {"data": subscriptions, "hasMore": False},
        failure=Failure("An error occurred with our connection to Stripe", "StripeConnectionError"),
    )
    total = 0
    for _, sub in b.loop("invoice_each_customer", "Invoice Each Customer", listed["data"]):
        invoice_id = "in_" + _token(b.rng, 14, string.ascii_letters + string.digits)
        invoice = b.step(
            "create_invoice",
            "stripe",
            "Create Invoice",
            {
                "customer": sub["customerId"],
                "amount": sub["amount"],
                "currency": trigger["currency"].lower(),
                "description": f"Subscription for {trigger['date']}",
            },
            {
                "id": invoice_id,
                "status": "open",
                "hostedInvoiceUrl": f"https://invoice.stripe.com/i/{invoice_id}",
            },
            failure=Failure(
                f"No such customer: '{sub['customerId']}'", "StripeInvalidRequestError"
            ),
            ms=(150, 700),
        )
        b.step(
            "email_invoice",
            "email",
            "Email Invoice",
            {
                "to": sub["email"],
                "subject": f"Your {b.org.name} invoice {invoice['id']}",
                "body": f"Hi {sub['name']}, your invoice of {_money(sub['amount'], currency)} "
                f"is ready: {invoice['hostedInvoiceUrl']}",
            },
            {"messageId": f"<{_token(b.rng, 16)}@mail.{b.org.domain}>", "accepted": True},
            failure=Failure("Mailbox unavailable: 550 5.1.1 user unknown", "SMTPError"),
            ms=(90, 500),
        )
        total += sub["amount"]
    b.step(
        "notify_finance",
        "slack",
        "Notify Finance",
        {
            "channel": "#finance",
            "message": f"Invoiced {len(listed['data'])} customers for {trigger['date']}: "
            f"{_money(total, currency)}",
        },
        _slack_output(b, "C0FINANCE01"),
        failure=_slack_failure(b.rng),
    )
    b.finish({"success": True, "invoices": len(listed["data"]), "totalAmount": total})


def enrich_leads_with_clearbit(b: RunBuilder) -> None:
    """A lead signed up: look up their company, let a model score them, update the CRM."""
    person = _person(b.rng)
    payload = {
        "lead": {
            "email": person["email"],
            "firstName": person["firstName"],
            "lastName": person["lastName"],
            "source": b.rng.choice(("website", "webinar", "g2", "referral")),
        }
    }
    lead = b.trigger(payload, step_id="lead_created", name="Lead Created")["lead"]
    domain = lead["email"].split("@", 1)[1]
    company = b.step(
        "lookup_company",
        "http",
        "Lookup Company (Clearbit)",
        {
            "method": "GET",
            "url": f"https://person.clearbit.com/v2/combined/find?email={lead['email']}",
        },
        {
            "company": {
                "name": person["company"],
                "domain": domain,
                "employees": b.rng.choice((12, 45, 180, 950, 4200)),
                "industry": b.rng.choice(("Software", "Logistics", "Retail", "Finance")),
            }
        },
        failure=Failure(f"Request failed with status code 404: no person for {lead['email']}"),
    )["company"]
    score = b.rng.randint(12, 98)
    scored = b.step(
        "score_lead",
        "openai",
        "Score Lead",
        {
            "model": "gpt-4o-mini",
            "prompt": f"Score this lead from 0 to 100: {lead['firstName']} {lead['lastName']} "
            f"at {company['name']} ({company['employees']} employees, {company['industry']}), "
            f"source {lead['source']}.",
        },
        {"score": score, "reasoning": f"{company['industry']} company of a size we sell to."},
        failure=Failure("Rate limit reached for gpt-4o-mini", "RateLimitError", retryable=True),
        ms=(700, 6000),
    )
    b.step(
        "update_lead",
        "hubspot",
        "Update Lead",
        {
            "email": lead["email"],
            "properties": {
                "company": company["name"],
                "numemployees": company["employees"],
                "lead_score": scored["score"],
            },
        },
        {"id": str(b.rng.randint(10_000, 9_999_999)), "updated": True},
        failure=Failure("Property 'lead_score' does not exist", "HubSpotValidationError"),
    )
    b.finish({"success": True, "score": scored["score"]})


def user_onboarding_emails(b: RunBuilder) -> None:
    """Each morning: fetch yesterday's signups and send each one a welcome email."""
    count = b.loop_size(3, 25)
    user_ids = [f"usr_{_token(b.rng, 10)}" for _ in range(count)]
    payload = {"cohort": _day(b.started_at - timedelta(days=1)), "userIds": user_ids}
    trigger = b.trigger(payload, step_id="cohort_ready", name="Signup Cohort Ready")
    last_email = ""
    for iteration, user_id in b.loop("loop_users", "Process Each User", trigger["userIds"]):
        person = _person(b.rng)
        profile = b.step(
            "fetch_user",
            "http",
            "Fetch User",
            {"method": "GET", "url": f"https://api.{b.org.domain}/v1/users/{user_id}"},
            {
                "id": user_id,
                "email": person["email"],
                "firstName": person["firstName"],
                "plan": b.rng.choice(("free", "starter", "pro")),
            },
            failure=Failure(f"User {user_id} not found", "NotFoundError"),
        )
        # The platform bug: a reference it failed to resolve is passed on as a literal string.
        to = profile["email"]
        if b.unresolved == UNRESOLVED_FAILS and iteration == b.scenario.fail_iteration:
            to = "!ref(steps.fetch_user.output.email)"
        b.step(
            "send_email",
            "email",
            None,
            {
                "to": to,
                "subject": f"Welcome aboard, {profile['firstName']}!",
                "template": f"welcome_{profile['plan']}_v3",
            },
            {"messageId": f"<{_token(b.rng, 16)}@mail.{b.org.domain}>", "accepted": True},
            failure=Failure("Invalid email address format", "ValidationError"),
            ms=(120, 900),
        )
        last_email = profile["email"]
    summary_tail = last_email
    if b.unresolved == UNRESOLVED_SILENT:
        summary_tail = "!ref(steps.fetch_user.output.email)"
    b.step(
        "post_summary",
        "slack",
        "Post Summary",
        {
            "channel": b.org.slack_channel,
            "message": f"Welcomed {len(user_ids)} users from cohort {trigger['cohort']} "
            f"(last: {summary_tail})",
        },
        _slack_output(b, "C0ONBOARD01"),
        failure=_slack_failure(b.rng),
    )
    b.finish({"success": True, "welcomed": len(user_ids)})


def webhook_to_notion(b: RunBuilder) -> None:
    """A form webhook arrived: file the submission as a page in the team's Notion database."""
    person = _person(b.rng)
    message = b.rng.choice(
        (
            "Could we get a demo for our ops team next week?",
            "Pricing question about the enterprise plan",
            "Your export to CSV drops the last column",
            "Interested in a partnership",
        )
    )
    payload = {
        "headers": {"content-type": "application/json", "x-form-id": "contact-us"},
        "body": {
            "formId": "contact-us",
            "submission": {
                "name": f"{person['firstName']} {person['lastName']}",
                "email": person["email"],
                "company": person["company"],
                "message": message,
            },
        },
    }
    submission = b.trigger(payload, step_id="webhook", name="Incoming Webhook")["body"][
        "submission"
    ]
    parsed = b.step(
        "parse_submission",
        "transform",
        "Parse Submission",
        {"submission": submission},
        {
            "title": f"{submission['company']} — {submission['name']}",
            "email": submission["email"],
            "message": submission["message"],
        },
        ms=(2, 30),
    )
    page_id = _token(b.rng, 32, "0123456789abcdef")
    b.step(
        "create_page",
        "notion",
        "Create Database Page",
        {
            "databaseId": b.org.notion_database,
            "properties": {
                "Name": parsed["title"],
                "Email": parsed["email"],
                "Message": parsed["message"],
                "Status": "New",
            },
        },
        {"pageId": page_id, "url": f"https://www.notion.so/{page_id}"},
        failure=Failure(
            f"Could not find database with ID: {b.org.notion_database}", "APIResponseError"
        ),
        ms=(250, 1800),
    )
    b.finish({"success": True})


def daily_digest_email(b: RunBuilder) -> None:
    """At 07:00: summarise yesterday's numbers with a model and email them to the team."""
    payload = {"scheduledFor": iso(b.started_at), "timezone": "Europe/Berlin"}
    trigger = b.trigger(payload, step_id="cron_daily", name="Every Day at 07:00")
    day = _day(b.started_at - timedelta(days=1))
    metrics = b.step(
        "fetch_metrics",
        "http",
        "Fetch Yesterday's Metrics",
        {
            "method": "GET",
            "url": f"https://api.{b.org.domain}/v1/metrics?date={day}&tz={trigger['timezone']}",
        },
        {
            "date": day,
            "signups": b.rng.randint(20, 400),
            "revenue": b.rng.randint(1_000, 90_000),
            "churned": b.rng.randint(0, 12),
        },
        failure=Failure("connect ETIMEDOUT 10.0.4.12:443", "FetchError", retryable=True),
    )
    text = (
        f"Yesterday ({metrics['date']}) brought {metrics['signups']} signups and "
        f"{_money(metrics['revenue'] * 100, b.org.currency)} in revenue; "
        f"{metrics['churned']} accounts churned."
    )
    digest = b.step(
        "write_digest",
        "openai",
        "Write Digest",
        {
            "model": "gpt-4o",
            "prompt": f"Write a three-line upbeat digest: {metrics['signups']} signups, "
            f"revenue {metrics['revenue']}, {metrics['churned']} churned on {metrics['date']}.",
        },
        {"text": text, "usage": {"prompt_tokens": 61, "completion_tokens": 48}},
        failure=Failure("Request timed out.", "APITimeoutError", retryable=True),
        ms=(1500, 9000),
    )
    b.step(
        "send_digest",
        "email",
        "Send Digest",
        {
            "to": f"team@{b.org.domain}",
            "subject": f"Daily digest for {metrics['date']}",
            "body": digest["text"],
        },
        {"messageId": f"<{_token(b.rng, 16)}@mail.{b.org.domain}>", "accepted": True},
        failure=Failure("Daily sending quota exceeded", "SendGridError"),
    )
    b.finish({"success": True, "sentTo": f"team@{b.org.domain}"})


def stripe_refund_handler(b: RunBuilder) -> None:
    """Stripe refunded a charge: log it on the customer's CRM record and tell billing."""
    person = _person(b.rng)
    customer = "cus_" + _token(b.rng, 14, string.ascii_letters + string.digits)
    charge = "ch_" + _token(b.rng, 24, string.ascii_letters + string.digits)
    amount = b.rng.choice((900, 2900, 4900, 9900, 19900))
    payload = {
        "id": "evt_" + _token(b.rng, 24, string.ascii_letters + string.digits),
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": charge,
                "amount_refunded": amount,
                "currency": b.org.currency.lower(),
                "customer": customer,
                "reason": b.rng.choice(("requested_by_customer", "duplicate", "fraudulent")),
            }
        },
    }
    obj = b.trigger(payload, step_id="stripe_event", name="Stripe: charge.refunded")["data"][
        "object"
    ]
    found = b.step(
        "retrieve_customer",
        "stripe",
        "Retrieve Customer",
        {"customerId": obj["customer"]},
        {"id": obj["customer"], "email": person["email"], "name": person["firstName"]},
        failure=Failure(f"No such customer: '{obj['customer']}'", "StripeInvalidRequestError"),
    )
    refund = _money(obj["amount_refunded"], obj["currency"].upper())
    b.step(
        "log_refund",
        "hubspot",
        "Log Refund on Contact",
        {
            "email": found["email"],
            "note": f"Refund of {refund} on {obj['id']} ({obj['reason']})",
        },
        {"engagementId": str(b.rng.randint(10**9, 10**10))},
        failure=Failure("Contact not found", "HubSpotNotFoundError"),
    )
    b.step(
        "notify_billing",
        "slack",
        "Notify Billing",
        {
            "channel": "#billing",
            "message": f"Refunded {refund} to {found['name']} ({found['email']})",
        },
        _slack_output(b, "C0BILLING01"),
        failure=_slack_failure(b.rng),
    )
    b.finish({"success": True, "refunded": obj["amount_refunded"]})


def github_issue_triage(b: RunBuilder) -> None:
    """A GitHub issue was opened: classify it with a model, label it, tell the triage channel."""
    number = b.rng.randint(100, 4000)
    title = b.rng.choice(
        (
            "Crash when exporting a report with emoji in the title",
            "Docs: webhook signature example is outdated",
            "Feature request: dark mode for the dashboard",
            "Login loops forever with SSO on Safari",
        )
    )
    repo = f"{b.org.id.removeprefix('org_')}/platform"
    payload = {
        "action": "opened",
        "issue": {
            "number": number,
            "title": title,
            "user": {"login": _token(b.rng, 8, string.ascii_lowercase)},
        },
        "repository": {"full_name": repo},
    }
    event = b.trigger(payload, step_id="issue_opened", name="Issue Opened")
    issue = event["issue"]
    label = (
        "bug"
        if "Crash" in title or "loops" in title
        else "docs"
        if "Docs" in title
        else "enhancement"
    )
    priority = b.rng.choice(("p1", "p2", "p3"))
    classified = b.step(
        "classify_issue",
        "openai",
        "Classify Issue",
        {"model": "gpt-4o-mini", "prompt": f"Label this GitHub issue: {issue['title']}"},
        {"label": label, "priority": priority},
        failure=Failure("Rate limit reached for gpt-4o-mini", "RateLimitError", retryable=True),
        ms=(600, 4000),
    )
    b.step(
        "add_labels",
        "http",
        "Add Labels",
        {
            "method": "POST",
            "url": f"https://api.github.com/repos/{event['repository']['full_name']}"
            f"/issues/{issue['number']}/labels",
            "body": {"labels": [classified["label"], classified["priority"]]},
        },
        {"status": 200},
        failure=Failure("Resource not accessible by integration (403)", "HttpError"),
    )
    b.step(
        "notify_triage",
        "slack",
        "Notify Triage",
        {
            "channel": "#triage",
            "message": f"#{issue['number']} {issue['title']} → {classified['label']}",
        },
        _slack_output(b, "C0TRIAGE001"),
        failure=_slack_failure(b.rng),
    )
    b.finish({"success": True, "label": classified["label"]})


def csv_import(b: RunBuilder) -> None:
    """A CSV file was uploaded: parse it and create one contact per row."""
    rows = b.loop_size(10, 150)
    uploader = _person(b.rng, b.org.domain)
    file_name = b.rng.choice(("contacts.csv", "leads-export.csv", "webinar-attendees.csv"))
    records = []
    for row in range(rows):
        person = _person(b.rng)
        signup = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=b.rng.randint(0, 600))
        signup_date = _day(signup)
        if b.scenario.fail_iteration == row + 1:
            # The row the import trips over: a date that does not exist.
            signup_date = "2026-02-31"
        records.append(
            {
                "email": person["email"],
                "name": f"{person['firstName']} {person['lastName']}",
                "signup_date": signup_date,
            }
        )
    payload = {
        "file": {
            "name": file_name,
            "url": f"https://uploads.{b.org.domain}/imports/{_token(b.rng, 12)}/{file_name}",
            "sizeBytes": rows * b.rng.randint(48, 90),
        },
        "uploadedBy": uploader["email"],
    }
    event = b.trigger(payload, step_id="file_uploaded", name="CSV Uploaded")
    parsed = b.step(
        "parse_csv",
        "csv",
        "Parse CSV",
        {"url": event["file"]["url"], "delimiter": ",", "header": True},
        {"rows": records, "rowCount": rows, "columns": ["email", "name", "signup_date"]},
        failure=Failure(f"Unexpected end of file in {event['file']['name']}", "CsvParseError"),
        ms=(40, 2000),
    )
    for iteration, record in b.loop("for_each_row", "For Each Row", parsed["rows"]):
        failure = Failure(f"Contact with email '{record['email']}' already exists (409)")
        if record["signup_date"] == "2026-02-31":
            failure = Failure(
                f"Row {iteration}: invalid date '{record['signup_date']}' in column signup_date",
                "ValidationError",
            )
        b.step(
            "create_contact",
            "http",
            "Create Contact",
            {
                "method": "POST",
                "url": f"https://api.{b.org.domain}/v1/contacts",
                "body": {
                    "email": record["email"],
                    "name": record["name"],
                    "signupDate": record["signup_date"],
                },
            },
            {"status": 201, "id": f"ct_{_token(b.rng, 10)}"},
            failure=failure,
            ms=(30, 250),
        )
    b.step(
        "notify_uploader",
        "email",
        "Notify Uploader",
        {
            "to": event["uploadedBy"],
            "subject": f"Import of {event['file']['name']} finished",
            "body": f"{parsed['rowCount']} contacts imported.",
        },
        {"messageId": f"<{_token(b.rng, 16)}@mail.{b.org.domain}>", "accepted": True},
        failure=Failure("Mailbox unavailable: 550 5.1.1 user unknown", "SMTPError"),
    )
    b.finish({"success": True, "imported": parsed["rowCount"]})


def zendesk_ticket_summary(b: RunBuilder) -> None:
    """A support ticket was escalated: summarise the thread and post it for the on-call lead."""
    person = _person(b.rng)
    ticket_id = b.rng.randint(10_000, 99_999)
    payload = {
        "ticket": {
            "id": ticket_id,
            "subject": b.rng.choice(
                (
                    "Workflow stuck in RUNNING since yesterday",
                    "Invoices sent twice to the same customer",
                    "Cannot connect HubSpot: invalid grant",
                )
            ),
            "requester": person["email"],
            "priority": b.rng.choice(("high", "urgent")),
        }
    }
    ticket = b.trigger(payload, step_id="ticket_escalated", name="Ticket Escalated")["ticket"]
    comments = b.rng.randint(2, 14)
    thread = b.step(
        "fetch_thread",
        "zendesk",
        "Fetch Ticket Thread",
        {"ticketId": ticket["id"], "include": "comments"},
        {"comments": comments, "lastReplyBy": ticket["requester"]},
        failure=Failure("Couldn't authenticate you", "ZendeskAuthError"),
        name_key="name",
    )
    summary = b.step(
        "summarise",
        "openai",
        "Summarise Thread",
        {
            "model": "gpt-4o-mini",
            "prompt": f"Summarise ticket #{ticket['id']} '{ticket['subject']}' "
            f"({thread['comments']} comments) in two sentences.",
        },
        {"text": f"{person['firstName']} reports: {ticket['subject'].lower()}."},
        failure=Failure("This model's maximum context length is 128000 tokens", "BadRequestError"),
        ms=(800, 7000),
        name_key="name",
    )
    b.step(
        "post_to_oncall",
        "slack",
        "Post to On-call",
        {
            "channel": "#support-oncall",
            "message": f"[{ticket['priority']}] #{ticket['id']}: {summary['text']}",
        },
        _slack_output(b, "C0ONCALL001"),
        failure=_slack_failure(b.rng),
        name_key="name",
    )
    b.finish({"success": True})


CATALOG: Final = {
    workflow.key: workflow
    for workflow in (
        Workflow("new_post_to_slack", "New Post to Slack", "post/created", new_post_to_slack),
        Workflow(
            "sync_hubspot_contacts",
            "Sync HubSpot Contacts",
            "cron/hubspot.sync",
            sync_hubspot_contacts,
            has_loop=True,
        ),
        Workflow(
            "nightly_invoice_batch",
            "Nightly Invoice Batch",
            "cron/invoices.nightly",
            nightly_invoice_batch,
            has_loop=True,
        ),
        Workflow(
            "enrich_leads_with_clearbit",
            "Enrich Leads with Clearbit",
            "lead/created",
            enrich_leads_with_clearbit,
        ),
        Workflow(
            "user_onboarding_emails",
            "User Onboarding Emails",
            "cohort/ready",
            user_onboarding_emails,
            has_loop=True,
        ),
        Workflow("webhook_to_notion", "Webhook → Notion", "webhook/received", webhook_to_notion),
        Workflow(
            "daily_digest_email", "Daily Digest Email", "cron/digest.daily", daily_digest_email
        ),
        Workflow(
            "stripe_refund_handler",
            "Stripe Refund Handler",
            "stripe/charge.refunded",
            stripe_refund_handler,
        ),
        Workflow(
            "github_issue_triage",
            "GitHub Issue Triage",
            "github/issues.opened",
            github_issue_triage,
        ),
        Workflow("csv_import", "CSV Import", "import/csv.uploaded", csv_import, has_loop=True),
        Workflow(
            "zendesk_ticket_summary",
            "Zendesk Ticket Summary",
            "zendesk/ticket.escalated",
            zendesk_ticket_summary,
        ),
    )
}


def definition_ids(org: Org, workflow: Workflow) -> dict[str, str]:
    """The ids of a workflow's definition in one organisation; stable across processes."""
    code = zlib.crc32(f"{org.id}/{workflow.key}".encode())
    base = ""
    while code:
        code, digit = divmod(code, 36)
        base = _B36[digit] + base
    slug = workflow.key.replace("_", "-")
    return {
        "workflow_id": f"wf_{base:0>7}",
        "workflow_function_id": f"workflow-{slug}",
        "workflow_version_id": f"wfv_{base:0>7}_v{1 + zlib.crc32(slug.encode()) % 5}",
    }
