"""Small helpers shared by the storage modules: times, ``--since`` values, white space."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from storage.durations import parse_duration
from storage.errors import QueryError

logger = logging.getLogger(__name__)


def squash_spaces(text: str) -> str:
    """``" ".join(text.split())``, without splitting a text that is already so (a parsed paragraph is):
    a printable string holds no white space but the ASCII space (str.isprintable excludes categories C and
    Z, which hold every other character str.split splits at)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def format_time(dt: datetime) -> str:
    """The one form of every time kabar stamps into the database: ISO 8601 UTC, whole milliseconds,
    ``+00:00`` (``2026-12-01T20:31:27.123+00:00``). A naive ``dt`` is taken as UTC.

    Older rows hold seconds precision (``2026-12-01T20:31:27+00:00``); both forms parse with
    :func:`to_utc_iso` and :meth:`datetime.fromisoformat`, and compare in time order as text.
    """
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="milliseconds")


def utcnow_iso() -> str:
    """Now in the stored form (:func:`format_time`)."""
    return format_time(datetime.now(UTC))


def read_time(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; None when missing or unreadable.

    Reads every form a row may hold: milliseconds or seconds, ``+00:00``, ``Z`` or another offset; a value
    without an offset is taken as UTC, a bare date as its midnight UTC.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):   # OverflowError: year 1 with a positive offset
        return None


def to_utc_iso(value: str | None) -> str | None:
    """Normalise an ISO 8601 date or date-time (an article's own dates) to UTC text with ``+00:00``.

    Offsets are converted (``2025-06-01T10:00:00+07:00`` -> ``2025-06-01T03:00:00+00:00``), so that text
    order is time order in the database. A value without an offset is taken as UTC; a bare date is its
    midnight UTC. Unreadable values give ``None`` (and a debug log line): a wrong date must not stop a save.
    """
    parsed = read_time(value)
    if parsed is None:
        if value is not None and value.strip():
            logger.debug("unreadable date %r dropped", value)
        return None
    return parsed.isoformat(timespec="seconds")


def parse_since(value: str, *, now: datetime | None = None) -> str:
    """Turn a ``--since`` value into the UTC ISO text it stands for.

    Accepts a relative age (``30m``, ``6h``, ``2d``, ``1w``, ``90s``) counted back from ``now``, or an
    ISO 8601 date (``2025-06-01``) or date-time (``2025-06-01T08:00``, with or without offset; without one
    it is UTC). Anything else raises :class:`QueryError` (exit code 2).
    """
    try:
        seconds: float | None = parse_duration(value, units="smhdw", ignore_case=True, allow_zero=True)
    except ValueError:
        seconds = None
    if seconds is not None:
        base = now or datetime.now(UTC)
        try:
            return (base - timedelta(seconds=seconds)).astimezone(UTC).isoformat(timespec="seconds")
        except OverflowError as exc:
            raise QueryError(f"--since {value!r} is too far back") from exc
    converted = to_utc_iso(value) if value.strip() else None
    if converted is None:
        raise QueryError(f"--since {value!r}: expected an ISO date/time (2025-06-01, 2025-06-01T08:00) "
                         "or an age such as 30m, 6h, 2d")
    return converted
