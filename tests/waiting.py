"""Waiting for a condition outside a Pilot test (Pilot tests use `tests.ui.harness.settle`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

# Generous for a shared, busy machine; a passing test returns as soon as the condition holds.
EVENTUALLY_WITHIN_S = 15.0


async def eventually(
    condition: Callable[[], bool], what: str, *, within: float = EVENTUALLY_WITHIN_S
) -> None:
    """Return once `condition()` holds; fail saying `what` did not happen within `within` s."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {within:g} s")
        await asyncio.sleep(0.02)
