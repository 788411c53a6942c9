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
