"""An error message with its per-run parts replaced by placeholders: the failure's signature.

`card_declined for ORDER1042 (req_9f8e7d6c5b4a)` and `card_declined for ORDER77
(req_0a1b2c3d4e5f)` are one failure seen twice; grouping needs them to be one string.
The rules are data (`RULES`), tried in order at each position of the message in one pass,
so an earlier rule wins where two could match (a UUID is not read as hex ids and numbers).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

# Longer messages are cut before normalising: the head says what failed, and a stack or a
# response body pasted into a message must not make grouping slow.
MAX_MESSAGE_CHARS: Final = 500
MAX_SIGNATURE_CHARS: Final = 200
NO_MESSAGE: Final = "(no error message)"


@dataclass(frozen=True, slots=True)
class SignatureRule:
    """One kind of per-run value: how to find it, what replaces it, and examples of both."""

    name: str
    pattern: str
    placeholder: str
    examples: tuple[tuple[str, str], ...]


RULES: Final = (
    SignatureRule(
        "quoted value",
        # An opening quote after a letter is an apostrophe ("can't"), not a quote.
        r"\"[^\"\n]{0,200}\"|(?<![\w])'[^'\n]{0,200}'(?![\w])|`[^`\n]{0,200}`",
        '"…"',
        (
            ('unknown field "customer_tier" in body', 'unknown field "…" in body'),
            ("channel 'sales-alerts' not found", 'channel "…" not found'),
            ("can't reach host", "can't reach host"),
        ),
    ),
    SignatureRule(
        "ISO timestamp",
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
        r"|\d{4}-\d{2}-\d{2}(?![\d-])",
        "<time>",
        (
            ("token expired at 2026-11-26T09:00:00.123Z", "token expired at <time>"),
            ("no rates for 2026-11-26", "no rates for <time>"),
            ("window 2026-11-26 09:00+01:00 closed", "window <time> closed"),
        ),
    ),
    SignatureRule(
        "UUID",
        r"(?i:\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)",
        "<uuid>",
        (("contact 3f2b8c1e-9d4a-4b7e-8f00-1a2b3c4d5e6f is gone", "contact <uuid> is gone"),),
    ),
    SignatureRule(
        "e-mail address",
        # The local part takes every character RFC 5322 allows unquoted. Tried only where
        # such a run starts: tried inside it, it would rescan the run at every character.
        r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+",
        "<email>",
        (
            ("mailbox full: ada.l+ops@example.co.uk", "mailbox full: <email>"),
            ("bounced {x}@Mail-1.example", "bounced <email>"),
        ),
    ),
    SignatureRule(
        "hex id",
        # Eight or more hex digits with at least one digit and one letter, not inside a
        # longer word: `req_9f8e7d6c5b4a` is an id, `deadline` and `12345678` are not.
        r"(?i:(?<![0-9a-z])(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,}(?![0-9a-z]))",
        "<hex>",
        (
            ("card_declined (req_9f8e7d6c5b4a)", "card_declined (req_<hex>)"),
            ("commit 1A2B3C4D5E6F reverted", "commit <hex> reverted"),
        ),
    ),
    SignatureRule(
        "number",
        r"\d+(?:[.,]\d+)*",
        "<n>",
        (
            ("card_declined for ORDER1042", "card_declined for ORDER<n>"),
            ("SMTP timeout after 30012 ms", "SMTP timeout after <n> ms"),
            ("rate_limited: retry after 45s", "rate_limited: retry after <n>s"),
            ("mailbox_full_49999", "mailbox_full_<n>"),
            ("total 1,024.5 over", "total <n> over"),
        ),
    ),
)

_SCANNER: Final = re.compile("|".join(f"(?P<r{i}>{rule.pattern})" for i, rule in enumerate(RULES)))
_PLACEHOLDERS: Final = {f"r{i}": rule.placeholder for i, rule in enumerate(RULES)}
_SPACES: Final = re.compile(r"\s+")


def _placeholder(match: re.Match[str]) -> str:
    return _PLACEHOLDERS[match.lastgroup or ""]


# Most failures repeat a message word for word ("Contact not found"); scanning one costs
# up to tens of microseconds, most of a second for a 7-day window's 29,000 failures.
@functools.lru_cache(maxsize=8192)
def normalise_message(message: str | None) -> str:
    """The signature of an error message: per-run values replaced, whitespace collapsed.

    None or a blank message becomes `NO_MESSAGE`. Normalising a signature again changes
    nothing, so a signature can be compared with a normalised message.
    """
    if message is None:
        return NO_MESSAGE
    text = _SPACES.sub(" ", message[:MAX_MESSAGE_CHARS]).strip()
    if not text:
        return NO_MESSAGE
    return _SCANNER.sub(_placeholder, text)[:MAX_SIGNATURE_CHARS]
