"""What can go wrong talking to PostgreSQL: the exceptions that leave `store`.

Every exception that leaves `store` is a `StoreError`; its `message` never holds a password.
The CLI prints `message` and exits 2 for a `ConfigurationError`; the UI shows
"disconnected since…" for a `ConnectionLost` and keeps retrying. Mapping driver exceptions
to these is `store/error_translation.py`'s job, so this module imports nothing of ours and
`dsn.py` can raise `DsnError` without an import cycle.
"""

from __future__ import annotations


class StoreError(Exception):
    """A failure of the data layer; `message` is one line and free of secrets."""

    def __init__(self, message: str, *, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate


class ConfigurationError(StoreError):
    """The settings cannot work: bad DSN, no such table, missing columns, failed login."""


class ConnectionLost(StoreError):
    """The server went away, or could not be reached again, during a session."""


class DsnError(ConfigurationError):
    """A DSN that cannot be read; the message never repeats the DSN's text."""


class QueryTimeout(StoreError):
    """A query hit `statement_timeout`, or the server did not answer in time."""


class RunNotFound(StoreError):
    """No run with that run id or id (within the organisation scope, if any)."""
