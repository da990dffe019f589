"""The one reader of durations such as ``90s``, ``30m``, ``6h``, ``2d``, ``1w``.

Used by config.toml (``[daemon].max_interval``, ``schedule = "every 15m"``) and by ``--since 6h``; each caller
says which units it accepts. It lives in ``storage`` because storage needs it too and never imports scraper.
"""

from __future__ import annotations

import re

#: Seconds per unit letter.
UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z])\s*$")


def parse_duration(text: str, *, units: str = "smhd", ignore_case: bool = False,
                   allow_zero: bool = False) -> float:
    """``"90s"``, ``"30m"``, ``"6h"``, ``"2d"`` -> seconds. Raises ValueError.

    ``units`` are the unit letters accepted (``"smhdw"`` adds weeks); ``ignore_case`` accepts ``6H``;
    a zero duration is an error unless ``allow_zero``.
    """
    m = _DURATION_RE.match(text)
    unit = m.group(2) if m else ""
    if ignore_case:
        unit = unit.lower()
    if m is None or unit not in units:
        examples = "'30m', '6h' or '2d'" + (" or '1w'" if "w" in units else "")
        raise ValueError(f"expected a duration such as {examples}, got {text!r}")
    seconds = float(m.group(1)) * UNIT_SECONDS[unit]
    if seconds <= 0 and not allow_zero:
        raise ValueError(f"expected a duration above zero, got {text!r}")
    return seconds
