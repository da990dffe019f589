"""Dates from text: ISO 8601, RFC 2822 and Indonesian (or English) date text, to ISO 8601 with an offset.

Pure string functions (no document): a naive time gets the site's offset (``+07:00``, WIB, for Indonesian
sites), and WIB/WITA/WIT and the Indonesian month and day names are understood (:mod:`scraper.rules`).
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone

from scraper import rules

__all__ = ["parse_date", "parse_date_text"]

_TZ_COMPACT_RE = re.compile(r"([+-]\d{2})(\d{2})$")


def _fmt(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat()


def _with_offset(dt: datetime, default_offset: str) -> datetime:
    """Naive times get the site's offset; UTC stamps of a local site are shown in its local time."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=_offset_tz(default_offset))
    if dt.utcoffset() == timedelta(0) and default_offset != "+00:00":
        return dt.astimezone(_offset_tz(default_offset))
    return dt


def _offset_tz(offset: str) -> timezone:
    sign = 1 if offset[0] == "+" else -1
    hh, mm = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hh), minutes=int(mm)))


def parse_date(value: str | None, default_offset: str = rules.DEFAULT_OFFSET_ID, *,
               month_first: bool = False) -> str | None:
    """An ISO 8601 timestamp with offset from ISO, RFC 2822 or Indonesian or English date text, else None
    (``month_first``: see :func:`parse_date_text`)."""
    if not value:
        return None
    s = value.strip()
    if not s or len(s) > 200:
        return None
    if s[:4].isdigit() and len(s) >= 8:
        iso = s.replace(" ", "T", 1) if len(s) > 10 and s[10] == " " else s
        iso = iso.replace(" ", "")
        if iso.endswith(("z", "Z")):
            iso = iso[:-1] + "+00:00"
        iso = _TZ_COMPACT_RE.sub(r"\1:\2", iso) if re.search(r"T\d.*[+-]\d{4}$", iso) else iso
        try:
            dt = datetime.fromisoformat(iso)
        except ValueError:
            dt = None
        if dt is not None and 1990 <= dt.year <= 2100:
            return _fmt(_with_offset(dt, default_offset))
    if "," in s[:5] or re.match(r"^[A-Za-z]{3},? \d", s):
        head, _, zone = s.rpartition(" ")
        offset = rules.TIMEZONES.get(zone.lower())
        rfc = f"{head} {offset.replace(':', '')}" if head and offset else s   # email.utils knows no WITA
        try:
            dt2 = email.utils.parsedate_to_datetime(rfc)
        except (TypeError, ValueError, IndexError):
            dt2 = None
        if dt2 is not None and 1990 <= dt2.year <= 2100:
            return _fmt(_with_offset(dt2, default_offset))
    return parse_date_text(s, default_offset, month_first=month_first)


def parse_date_text(text: str, default_offset: str = rules.DEFAULT_OFFSET_ID, *,
                    need_time: bool = False, month_first: bool = False) -> str | None:
    """Indonesian or English date text: ``Kamis, 20 November 2025 09:15 WIB``, ``July 9, 2025 at 3:05 pm``,
    ``19/06/2015 11:58``. A numeric date is read day first unless its second number cannot be a month, or
    it could be either and ``month_first`` (a US page: ``3/4/2025`` is March 4). The earliest date in
    ``text`` wins; with ``need_time`` only a date that carries a time of day counts."""
    best: tuple[int, str] | None = None
    for pattern in (rules.INDO_DATE_RE, rules.EN_DATE_RE, rules.NUMERIC_DATE_RE, rules.WORLD_DATE_RE,
                    rules.CJK_DATE_RE):
        for m in pattern.finditer(text):
            if best is not None and m.start() >= best[0]:
                break
            if need_time and not m.group("H"):
                continue
            day: int | None = None
            month: int | None
            if pattern is rules.NUMERIC_DATE_RE:
                first, second = int(m.group("d")), int(m.group("m"))
                month, day = (first, second) if second > 12 or (month_first and first <= 12) else (second, first)
            elif pattern is rules.CJK_DATE_RE:
                month = int(m.group("m"))
            elif pattern is rules.WORLD_DATE_RE:
                month = rules.WORLD_MONTHS.get(m.group("m").lower())
            else:
                month = rules.MONTHS.get(m.group("m").lower().rstrip("."))
            if month is None:
                continue
            out = _build(m, month, default_offset, day)
            if out:
                best = (m.start(), out)
                break
    return best[1] if best else None


def _build(m: re.Match[str], month: int, default_offset: str, day: int | None = None) -> str | None:
    try:
        year, day = int(m.group("y")), day if day is not None else int(m.group("d"))
        hour = int(m.group("H") or 0)
        half = (m.groupdict().get("ap") or "").lower()
        if half and not 1 <= hour <= 12:
            return None
        if half:
            hour = hour % 12 + (12 if half == "p" else 0)
        minute = int(m.group("M") or 0)
        second = int(m.groupdict().get("S") or 0)
        tzname = (m.groupdict().get("tz") or "").lower()
        offset = rules.TIMEZONES.get(tzname, default_offset)
        dt = datetime(year, month, day, hour, minute, second, tzinfo=_offset_tz(offset))
    except (ValueError, TypeError):
        return None
    if not 1990 <= dt.year <= 2100:
        return None
    return _fmt(dt)
