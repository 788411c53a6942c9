"""`steps_log` entries as the platform writes them, at fixed times, for run view tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    """The ISO time `seconds` after T0, as the platform writes it."""
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def entry(step_id: str, status: str = "COMPLETED", *, t: float = 0, **extra: Any) -> dict:
    """One `steps_log` entry as the platform writes it."""
    value: dict[str, Any] = {
        "status": status,
        "stepId": step_id,
        "operation": extra.pop("operation", "http"),
        "startedAt": at(t),
    }
    if status != "RUNNING":
        value["endedAt"] = at(t + 0.5)
        value["durationMs"] = 500
    value.update(extra)
    return value


def trigger() -> dict:
    """The trigger entry every run starts with."""
    return entry("trigger_new_user", operation="trigger", stepName="New User", output={"n": 3})


def loop(step_id: str, items: list, t: float = 1) -> dict:
    """A loop entry over `items`."""
    return entry(
        step_id,
        operation="builtin:loop",
        stepName="Process Each User",
        output={"collection": items, "totalItems": len(items)},
        t=t,
    )


def email(number: int, total: int, status: str = "COMPLETED", **extra: Any) -> dict:
    """Iteration `number` of `total` of the loop's e-mail step."""
    if status == "FAILED":
        extra.setdefault("error", {"message": f"bounce for user{number}", "name": "SmtpError"})
    return entry(
        "send_email",
        status,
        operation="email",
        iteration=number,
        totalItems=total,
        input={"to": f"user{number}@example.com"},
        t=2 + number,
        **extra,
    )


def three_failures() -> list[dict]:
    """A loop of 4 users where iterations 2 and 4 fail, then a failing Slack step."""
    items = ["user1", "user2", "user3", "user4"]
    return [
        trigger(),
        loop("loop_users", items),
        email(1, 4),
        email(2, 4, "FAILED"),
        email(3, 4),
        email(4, 4, "FAILED"),
        entry(
            "notify",
            "FAILED",
            stepName="Notify Sales",
            operation="slack",
            error={"message": "channel_not_found"},
            t=20,
        ),
    ]
