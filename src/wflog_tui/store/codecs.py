"""Decoding `json`, `jsonb` and timestamp columns: never failing, never losing data.

Timestamps: asyncpg turns `infinity` into a naive `datetime.max` (losing its zone and
its meaning) and raises `OverflowError` on a year past 9999 or before 1, which would
fail a whole page for one row. Our codec reads PostgreSQL's microseconds itself, into
aware UTC datetimes, and out-of-range values into `ExtremeInstant`.

JSON:

orjson is several times faster than the standard library on big `steps_log` arrays, but it
refuses some JSON that PostgreSQL stores (numbers beyond a double such as `1e400`, lone
UTF-16 surrogates in a `json` column, nesting deeper than 1024) and it turns integers
wider than 64 bits into floats, silently rounding them. Those documents go to `json.loads`
with exact numbers instead, and a document neither can read (nesting deeper than Python's
recursion limit) comes back as `UndecodableJson` holding the text as stored.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import asyncpg
import orjson

from wflog_tui.model.timestamps import from_pg_micros, to_pg_micros

# 19 digits in a row can be an integer beyond int64 that orjson would round; such text is
# rare outside IDs kept as strings, where the slower exact decoder costs little. The check
# maps every digit to "0" and looks for nineteen of them: C speed, where a regex over a
# 28 MB log took over a second.
_DIGITS_TO_ZERO: Final = bytes.maketrans(b"0123456789", b"0" * 10)
_NINETEEN: Final = b"0" * 19


def _has_long_digit_run(text: str) -> bool:
    return _NINETEEN in text.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO)


@dataclass(frozen=True, slots=True)
class UndecodableJson:
    """A JSON value no decoder could read; `text` is exactly what the database holds."""

    text: str
    reason: str


def _exact_float(text: str) -> float | Decimal:
    # A number a double cannot hold keeps its digits rather than becoming infinity.
    number = float(text)
    return number if math.isfinite(number) else Decimal(text)


def decode_json(text: str) -> Any:
    """Decode one JSON document as stored; never raises."""
    if not _has_long_digit_run(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(text, parse_float=_exact_float)
    except RecursionError:
        return UndecodableJson(text, "nested too deeply to decode")
    except ValueError as exc:
        return UndecodableJson(text, f"not valid JSON: {exc}")


def encode_json(value: Any) -> str:
    """Encode a parameter (the store sends few; this completes the codec)."""
    return orjson.dumps(value, default=str).decode()


async def install_json_codecs(conn: asyncpg.Connection) -> None:
    """Make `conn` decode `json` and `jsonb` with `decode_json` (a pool's `init=`)."""
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            encoder=encode_json,
            decoder=decode_json,
            schema="pg_catalog",
            format="text",
        )


def _decode_timestamp(value: tuple[int]) -> datetime:
    return from_pg_micros(value[0])


def _encode_timestamp(value: datetime) -> tuple[int]:
    return (to_pg_micros(value),)


async def install_codecs(conn: asyncpg.Connection) -> None:
    """Install the JSON and timestamp codecs on `conn` (a pool's `init=`).

    `timestamp` and `timestamptz` both come back aware in UTC (a `timestamp` column is
    read as UTC, as the platform writes it); a naive parameter is taken as UTC.
    """
    await install_json_codecs(conn)
    for type_name in ("timestamp", "timestamptz"):
        await conn.set_type_codec(
            type_name,
            encoder=_encode_timestamp,
            decoder=_decode_timestamp,
            schema="pg_catalog",
            format="tuple",
        )
