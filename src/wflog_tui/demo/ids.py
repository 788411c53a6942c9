"""Ids as the platform makes them: ULIDs for Inngest's run and event ids, CUIDs for rows.

They are drawn from a `random.Random` so that a seeded history is the same every time.
"""

from __future__ import annotations

import random
import string
from datetime import datetime
from typing import Final

# Crockford's base 32, as ULIDs use it: no I, L, O or U.
CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_B36: Final = string.digits + string.ascii_lowercase


def _encode(number: int, alphabet: str, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, len(alphabet))
        digits.append(alphabet[digit])
    return "".join(reversed(digits))


def ulid(moment: datetime, rng: random.Random) -> str:
    """A 26-character ULID: 48 bits of milliseconds since the epoch, 80 random bits."""
    millis = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    return _encode(millis, CROCKFORD, 10) + _encode(rng.getrandbits(80), CROCKFORD, 16)


def cuid(moment: datetime, rng: random.Random) -> str:
    """A 25-character CUID-like id, as Prisma's `@default(cuid())` gives the row's `id`."""
    millis = int(moment.timestamp() * 1000)
    return "c" + _encode(millis, _B36, 8) + _encode(rng.getrandbits(80), _B36, 16)
