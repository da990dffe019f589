"""The error tree of kabar. The CLI turns each into one line on stderr and an exit code.

::

    KabarError (exit 1)                      storage/errors.py
    ├── ConfigError (exit 2)                 bad config.toml: names the file and the key
    ├── UsageError (exit 2)                  bad command-line arguments
    ├── QueryError (exit 2)                  bad FTS5 query or --since value   (storage/errors.py)
    ├── ParseError                           a page could not be read or parsed
    ├── FetchError                           one URL could not be fetched
    │   ├── TooLargeError                    body over http.max_bytes (compressed or decompressed)
    │   ├── RedirectError                    loop, more than 10 hops, off-site or non-http(s) target
    │   ├── RobotsDisallowedError            robots.txt forbids it (or robots.txt answered 5xx)
    │   ├── NotHtmlError                     Content-Type is not HTML
    │   └── RetryAfterTooLongError           Retry-After above http.max_retry_after
    └── StorageError                         the database is unusable   (storage/errors.py)
        ├── DatabaseLockedError
        ├── DiskFullError
        └── ReadOnlyDatabaseError

A ``FetchError`` is counted per URL (``failed`` or ``skipped``) and never stops a run; a
``StorageError`` stops the run (exit 1) because nothing more could be written.
"""

from __future__ import annotations

from storage.errors import (
    DatabaseLockedError,
    DiskFullError,
    KabarError,
    QueryError,
    ReadOnlyDatabaseError,
    StorageError,
)

__all__ = [
    "ConfigError",
    "DatabaseLockedError",
    "DiskFullError",
    "FetchError",
    "KabarError",
    "NotHtmlError",
    "ParseError",
    "QueryError",
    "ReadOnlyDatabaseError",
    "RedirectError",
    "RetryAfterTooLongError",
    "RobotsDisallowedError",
    "StorageError",
    "TooLargeError",
    "UsageError",
]


class ConfigError(KabarError):
    """config.toml (or a value given on the command line) is invalid."""

    exit_code = 2

    def __init__(self, path: str | None, key: str | None, message: str) -> None:
        self.path = path
        self.key = key
        self.message = message
        where = path or "<config>"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {message}")


class UsageError(KabarError):
    exit_code = 2


class ParseError(KabarError):
    """A page could not be read (missing file, unreadable) or parsed."""


class FetchError(KabarError):
    """One URL could not be fetched. ``outcome`` is the summary column it is counted in."""

    outcome = "failed"

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


class TooLargeError(FetchError):
    pass


class RedirectError(FetchError):
    """Redirect loop or too many hops (failed); off-site or non-http(s) target (skipped)."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None,
                 outcome: str = "failed") -> None:
        super().__init__(message, url=url, status=status)
        self.outcome = outcome


class RobotsDisallowedError(FetchError):
    outcome = "skipped"


class NotHtmlError(FetchError):
    outcome = "skipped"


class RetryAfterTooLongError(FetchError):
    pass
