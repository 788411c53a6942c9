"""Where the connection settings come from, and how they are shown without the password.

Order: `--dsn`, `WFLOG_DSN`, `DATABASE_URL`, then libpq's `PG*` variables and `.pgpass`,
which asyncpg reads itself when it is given no DSN.

`DATABASE_URL` is often the platform's Prisma URL. Prisma adds query parameters of its
own (`schema`, `connection_limit`, `pgbouncer`...); asyncpg passes every parameter it does
not know to the server as a setting, and the server refuses to start the session on an
unknown one. So those are taken out here, and `schema=` becomes the default schema of
`--table`. libpq keyword/value strings (`host=db dbname=app`) are turned into a URL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import (
    SplitResult,
    parse_qsl,
    quote,
    quote_plus,
    unquote,
    unquote_plus,
    urlencode,
    urlsplit,
    urlunsplit,
)

from wflog_tui.store.errors import DsnError

PG_ENVIRONMENT: Final = "PG* environment"
MASK: Final = "***"

# Query parameters of Prisma's connection URL that PostgreSQL knows nothing about.
_PRISMA_ONLY: Final = frozenset(
    {
        "schema",
        "connection_limit",
        "pool_timeout",
        "pgbouncer",
        "socket_timeout",
        "statement_cache_size",
        "sslaccept",
        "sslidentity",
        "max_connection_lifetime",
        "max_idle_connection_lifetime",
    }
)
# libpq client options asyncpg does not handle: sent on, they would fail the login as
# unknown server settings. `connect_timeout` is kept as the connect timeout; `replication`
# would turn the session into a replication one, which a read-only viewer must not open.
_CLIENT_ONLY: Final = frozenset(
    {
        "connect_timeout",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "fallback_application_name",
        "channel_binding",
        "gssencmode",
        "gssdelegation",
        "requiressl",
        "sslcompression",
        "sslsni",
        "sslcertmode",
        "require_auth",
        "requirepeer",
        "load_balance_hosts",
        "hostaddr",
        "replication",
    }
)
_SECRET_KEYS: Final = frozenset({"password", "sslpassword"})
_SCHEMES: Final = ("postgresql://", "postgres://")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, repr=False)
class ResolvedDsn:
    """The DSN to connect with (None: asyncpg reads the `PG*` variables) and where it came from.

    `default_schema` comes from a Prisma `schema=` parameter; `connect_timeout_s` from a
    `connect_timeout` parameter; `pgbouncer` from Prisma's `pgbouncer=true`, which says
    the server is reached through PgBouncer in transaction mode. `dropped_params` names
    the parameters taken out, for `doctor`.
    """

    dsn: str | None
    source: str
    default_schema: str | None = None
    connect_timeout_s: float | None = None
    pgbouncer: bool = False
    dropped_params: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        return (
            f"ResolvedDsn(dsn={mask_dsn(self.dsn)!r}, source={self.source!r}, "
            f"default_schema={self.default_schema!r})"
        )


def resolve_dsn(cli_dsn: str | None, environ: Mapping[str, str] = os.environ) -> ResolvedDsn:
    """Pick the DSN by precedence and make it one asyncpg accepts.

    A blank environment variable counts as unset (compose files often define
    `DATABASE_URL=`); a blank `--dsn` is a mistake and raises `DsnError`.
    """
    if cli_dsn is not None and not cli_dsn.strip():
        raise DsnError("--dsn is empty")
    candidates = (
        ("--dsn", cli_dsn),
        ("WFLOG_DSN", environ.get("WFLOG_DSN")),
        ("DATABASE_URL", environ.get("DATABASE_URL")),
    )
    for source, value in candidates:
        if value is not None and value.strip():
            return normalise_dsn(value.strip(), source)
    return ResolvedDsn(dsn=None, source=PG_ENVIRONMENT)


# The libpq variables that name a server, a database or a login; asyncpg reads them.
_PG_CONNECTION_VARIABLES: Final = (
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
)
WAYS_TO_A_DATABASE: Final = (
    "use --dsn, WFLOG_DSN, DATABASE_URL or PG* variables (password in ~/.pgpass), "
    "or try `wflog-tui demo`"
)
NOTHING_CONFIGURED_HINT: Final = f"no database given: {WAYS_TO_A_DATABASE}"


def nothing_configured(dsn: str | None, environ: Mapping[str, str] = os.environ) -> bool:
    """True when no DSN was resolved and no libpq variable names a server or login.

    The connection then went to libpq's defaults (localhost:5432), which a newcomer never
    chose: a failure there is told with `NOTHING_CONFIGURED_HINT`.
    """
    return dsn is None and not any(
        (environ.get(name) or "").strip() for name in _PG_CONNECTION_VARIABLES
    )


def normalise_dsn(text: str, source: str) -> ResolvedDsn:
    """Turn a URL or a keyword/value string into a URL asyncpg accepts, minus foreign params."""
    lowered = text.lower()
    if lowered.startswith(_SCHEMES):
        try:
            parts = urlsplit(text)
        except ValueError:  # an unclosed [ or a bad IPv6 address; its text may quote the password
            raise DsnError(
                f"{source}: the URL is malformed: a bracketed IPv6 host is not closed or not "
                "valid; a password holding [ ] @ : / ? # must be percent-encoded"
            ) from None
        if _ambiguous_url(text, parts.netloc):
            raise DsnError(f"{source}: {UNREADABLE_URL}")
        try:
            params = parse_qsl(
                parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)
            )
        except ValueError:
            raise DsnError(f"{source}: the query string of the URL is malformed") from None
        base = (parts.scheme, parts.netloc, parts.path)
    elif lowered.startswith("prisma"):
        raise DsnError(
            f"{source} is a Prisma Accelerate URL, not a PostgreSQL one; "
            "pass the database's direct URL with --dsn"
        )
    elif "=" in text:
        params = list(parse_conninfo(text, source).items())
        base = ("postgresql", "", "")
    else:
        raise DsnError(f"{source} is neither a postgresql:// URL nor libpq key=value pairs")

    kept: list[tuple[str, str]] = []
    dropped: list[str] = []
    default_schema: str | None = None
    connect_timeout: float | None = None
    pgbouncer = False
    for key, value in params:
        if key == "schema":
            default_schema = value or None
        elif key == "connect_timeout":
            connect_timeout = _timeout(value)
        elif key == "pgbouncer":
            pgbouncer = value.strip().lower() in _TRUE
        if key in _PRISMA_ONLY or key in _CLIENT_ONLY:
            dropped.append(key)
            continue
        kept.append((key, value))
    query = urlencode(kept, quote_via=quote, safe="/")
    url = urlunsplit((*base, query, ""))
    if not base[1] and not base[2]:
        # urlunsplit drops the `//` of an empty authority, which asyncpg needs.
        url = f"{base[0]}://" + (f"?{query}" if query else "")
    return ResolvedDsn(
        dsn=url,
        source=source,
        default_schema=default_schema,
        connect_timeout_s=connect_timeout,
        pgbouncer=pgbouncer,
        dropped_params=tuple(dropped),
    )


def _timeout(value: str) -> float | None:
    try:
        seconds = float(value)
    except ValueError:
        return None
    # libpq treats 0 (and negatives) as "wait forever"; a viewer should not.
    return seconds if 0 < seconds < 3600 else None


_CONNINFO_KEY: Final = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*")


def parse_conninfo(text: str, source: str = "DSN") -> dict[str, str]:
    """Parse a libpq keyword/value string: `key=value`, values optionally single-quoted.

    Inside quotes `\\'` and `\\\\` are escapes, as libpq has them; unquoted values end at
    whitespace. Errors name the position, never the text, which may hold the password.
    """
    result: dict[str, str] = {}
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return result
        match = _CONNINFO_KEY.match(text, pos)
        if match is None:
            raise DsnError(f"{source}: expected key=value at character {pos + 1}")
        key, pos = match.group(1), match.end()
        value: list[str] = []
        if pos < end and text[pos] == "'":
            pos += 1
            while True:
                if pos >= end:
                    raise DsnError(f"{source}: unterminated quoted value for {key}")
                char = text[pos]
                if char == "\\" and pos + 1 < end:
                    value.append(text[pos + 1])
                    pos += 2
                elif char == "'":
                    pos += 1
                    break
                else:
                    value.append(char)
                    pos += 1
        else:
            while pos < end and not text[pos].isspace():
                if text[pos] == "\\" and pos + 1 < end:
                    pos += 1
                value.append(text[pos])
                pos += 1
        result[key] = "".join(value)


UNREADABLE_URL: Final = (
    "the URL cannot be read; a user name or password holding @ : / ? # must be "
    "percent-encoded (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23)"
)
_PORT: Final = re.compile(r"\d*")


def _ambiguous_url(text: str, netloc: str) -> bool:
    """Whether the URL's authority cannot be told apart for sure: an unencoded @ : / ? #.

    asyncpg splits the authority at the first `@`, urllib at the first `/?#`; when those
    disagree, part of the password would become a host, a port or a database name and
    end up in an error message. So a `#` anywhere, an `@` past the authority or a second
    `@` in it, or a port that is not a number, make the URL unreadable.
    """
    if "#" in text or netloc.count("@") > 1:
        return True
    if "@" in text[len(text.partition("://")[0]) + 3 :].removeprefix(netloc):
        return True
    for host in netloc.rpartition("@")[2].split(","):
        port = host.rpartition("]")[2] if host.startswith("[") else host
        if ":" in port and not _PORT.fullmatch(port.rpartition(":")[2]):
            return True
    return False


def _userinfo(dsn: str) -> str | None:
    """Everything between `://` and the last `@` of a URL, the part that may hold a password."""
    rest = dsn.strip().partition("://")[2]
    return rest.rpartition("@")[0] if "@" in rest else None


def _looks_like_url(dsn: str) -> bool:
    return dsn.lstrip().lower().startswith(_SCHEMES)


def _split_url(dsn: str) -> SplitResult:
    """urlsplit of a URL DSN, its authority taken as ending at the last `@` when unreadable.

    For masking and describing only: then the user name and password, encoded or not,
    stay in the authority and out of the host, the path and the fragment.
    """
    text = dsn.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is not None and not _ambiguous_url(text, parts.netloc):
        return parts
    scheme, _, rest = text.partition("://")
    userinfo, _, tail = rest.rpartition("@")
    try:
        after = urlsplit(f"{scheme}://{tail}")
    except ValueError:
        after = SplitResult(scheme, tail, "", "", "")
    netloc = f"{userinfo}@{after.netloc}" if "@" in rest else after.netloc
    return after._replace(netloc=netloc, fragment="")


def _split_netloc(netloc: str) -> tuple[str | None, str | None, str]:
    """(user, password, hosts) of a URL authority, all still percent-encoded."""
    if "@" not in netloc:
        return None, None, netloc
    auth, _, hosts = netloc.rpartition("@")
    user, colon, password = auth.partition(":")
    return user, (password if colon else None), hosts


def _secrets_of(dsn: str | None) -> list[str]:
    """The passwords a DSN holds, in every spelling they could appear in."""
    if not dsn:
        return []
    found: list[str] = []
    if _looks_like_url(dsn):
        parts = _split_url(dsn)
        _, password, _ = _split_netloc(parts.netloc)
        if password:
            found += [password, unquote(password)]
        userinfo = _userinfo(dsn)
        if userinfo and _ambiguous_url(dsn, parts.netloc):
            # Unreadable: any piece of what could be the password may show up on its own.
            secret = userinfo.partition(":")[2] or userinfo
            found += [secret, *(p for p in re.split(r"[@:/?#]", secret) if len(p) >= 4)]
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key in _SECRET_KEYS and value:
                found.append(value)
        for match in re.finditer(r"(?:^|&)(?:ssl)?password=([^&]*)", parts.query):
            found.append(match.group(1))
    else:
        try:
            params = parse_conninfo(dsn)
        except DsnError:
            params = {}
        found += [value for key, value in params.items() if key in _SECRET_KEYS and value]
    spelled: set[str] = set()
    for secret in found:
        if secret:
            spelled.update(_spellings(secret))
    # Longest first, so that a secret containing another one is masked whole.
    return sorted(spelled, key=len, reverse=True)


def _spellings(secret: str) -> list[str]:
    """A secret as typed and percent-encoded the ways a URL may carry it.

    A password from the command line may hold lone surrogates (Python's stand-in for
    bytes that are not UTF-8); they are encoded as they are, not an error.
    """
    return [
        secret,
        quote(secret, safe="", errors="surrogatepass"),
        quote_plus(secret, errors="surrogatepass"),
        quote(secret, errors="surrogatepass"),
    ]


# Up to the last `@` of the word: an unencoded `@` in the password must not end the match.
_URL_PASSWORD: Final = re.compile(r"(?i)(postgres(?:ql)?://[^:/@\s]*:)(\S*)(@)")
_KEYWORD_PASSWORD: Final = re.compile(r"(?i)(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)")


def mask_secrets(text: str, dsn: str | None, *, extra: Iterable[str] = ()) -> str:
    """`text` with the DSN's password (and any `extra` secret) replaced by `***`.

    Catches the password verbatim and percent-encoded, and any `user:password@` or
    `password=` that looks like one even if it is not this DSN's.
    """
    secrets = _secrets_of(dsn)
    for secret in extra:
        if secret:
            secrets += _spellings(secret)
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + MASK, text)


def mask_dsn(dsn: str | None) -> str:
    """The DSN as it may be shown: password (and SSL key password) replaced by `***`."""
    if dsn is None:
        return PG_ENVIRONMENT
    if _looks_like_url(dsn):
        parts = _split_url(dsn)
        user, password, hosts = _split_netloc(parts.netloc)
        netloc = parts.netloc
        if password is not None:
            netloc = f"{user}:{MASK}@{hosts}"
        elif user is not None and _ambiguous_url(dsn, urlsplit(dsn.strip()).netloc):
            netloc = f"{MASK}@{hosts}"
        pieces = []
        for piece in parts.query.split("&"):
            key, equals, _ = piece.partition("=")
            secret = equals and unquote_plus(key) in _SECRET_KEYS
            pieces.append(f"{key}={MASK}" if secret else piece)
        query = "&".join(pieces)
        masked = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        if not netloc and not parts.path:
            masked = f"{parts.scheme}://" + (f"?{query}" if query else "")
        return mask_secrets(masked, dsn)
    return mask_secrets(dsn, dsn)


def describe_target(dsn: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """`host:port` (or the socket path) a DSN points at, for messages; no user, no password."""
    hosts: str | None = None
    port: str | None = None
    # Hosts in a URL's authority may carry their own port; hosts given as parameters never do.
    in_authority = False
    if dsn and _looks_like_url(dsn):
        parts = _split_url(dsn)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        authority = unquote(_split_netloc(parts.netloc)[2])
        hosts, in_authority = (query["host"], False) if query.get("host") else (authority, True)
        port = query.get("port")
    elif dsn:
        try:
            params = parse_conninfo(dsn)
        except DsnError:
            params = {}
        hosts, port = params.get("host"), params.get("port")
    if not hosts:
        hosts, in_authority = environ.get("PGHOST") or "localhost", False
    ports = (port or environ.get("PGPORT") or "5432").split(",")
    described = []
    for i, host in enumerate(hosts.split(",")):
        this_port = ports[min(i, len(ports) - 1)]
        if host.startswith("/"):
            described.append(f"{host}/.s.PGSQL.{this_port}")
        elif in_authority and re.search(r":\d+$", host.rsplit("]", 1)[-1]):
            described.append(host)
        elif ":" in host and not host.startswith("["):
            described.append(f"[{host}]:{this_port}")
        else:
            described.append(f"{host}:{this_port}")
    return ", ".join(described)
