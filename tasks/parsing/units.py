"""What the builders share: TTP's one-or-many results, and conversions for show-command columns
(sizes, durations and ``in/out`` pairs)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: A builder: one TTP result mapping in, the records of :mod:`tasks.records` out. Each builder
#: module registers its own by name in ``BUILDERS``; ``parsers/commands.yaml`` names one per
#: template variant.
Builder = Callable[[dict[str, Any]], Any]


def as_list(value: Any) -> list[dict[str, str]]:
    """TTP gives a dict for one match and a list for several: always a list."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value or [] if isinstance(v, dict)]


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGTP]?)i?B?", re.I)
_SIZE_POWER = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5}


def human_size(text: str, base: int = 1024) -> int | None:
    """``7.5M`` -> 7864320, ``230.6K`` -> 236134, ``840B`` -> 840, ``463.0`` -> 463.

    VyOS prints byte counts 1024-based and (1.3+) packet counts 1000-based: pass ``base``.
    ``n/a`` and ``N/A`` are ``None``; anything else that is not a size raises ``ValueError``.
    """
    value = text.strip()
    if value.lower() in {"n/a", "-", ""}:
        return None
    match = _SIZE.fullmatch(value)
    if match is None:
        raise ValueError(f"not a size: {text!r}")
    return round(float(match[1]) * base ** _SIZE_POWER[match[2].upper()])


_DURATION_UNIT = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_PARTS = re.compile(r"(\d+)([wdhms])")
_CLOCK = re.compile(r"(\d+):(\d{2}):(\d{2})")


def duration_s(text: str) -> int | None:
    """FRR/VyOS durations to seconds: ``00:01:23``, ``1d02h03m``, ``03w0d03h``, ``36m24s``.

    ``never`` (a session that was never up) is ``None``; anything else unreadable raises
    ``ValueError``, because a guessed uptime would make a flapping session look stable.
    """
    value = text.strip()
    if value.lower() in {"never", "n/a"}:
        return None
    clock = _CLOCK.fullmatch(value)
    if clock:
        return int(clock[1]) * 3600 + int(clock[2]) * 60 + int(clock[3])
    parts = _DURATION_PARTS.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(n) * _DURATION_UNIT[u] for n, u in parts)


def pair(text: str, base: int) -> tuple[int | None, int | None]:
    """``7.5M/230.6K`` -> both sizes; ``n/a`` (one value for the pair) -> ``(None, None)``."""
    if text.strip().lower() == "n/a":
        return None, None
    first, _, second = text.partition("/")
    return human_size(first, base), human_size(second or "n/a", base)
