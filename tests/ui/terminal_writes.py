"""What the app writes to its terminal itself, beside the screen: the OSC 52 of a copy."""

from __future__ import annotations

import base64
import re
from typing import Any


def record_writes(app: Any) -> list[str]:
    """Every write the app makes to its driver from now on (clipboard copies among them)."""
    writes: list[str] = []
    driver = app._driver
    original = driver.write

    def write(data: str) -> None:
        writes.append(data)
        original(data)

    driver.write = write
    return writes


def clipboard_payloads(writes: list[str]) -> list[str]:
    """The texts sent with OSC 52, decoded; each write must be exactly one OSC 52 sequence."""
    copied = []
    for data in writes:
        match = re.fullmatch(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", data)
        if match is None:
            continue
        copied.append(base64.b64decode(match.group(1)).decode())
    return copied
