"""The command table, variant choice and TTP runs behind :func:`tasks.parsing.parse`.

``parsers/commands.yaml`` says which templates read which (platform, command) and which builder
turns each template's result into records; a command's output is matched to one variant by its
signature, then run through TTP, in slices for the big line-oriented tables, with the cyclic
garbage collector paused while records are built. Builders are found by the name the table
gives them, in the ``BUILDERS`` of :mod:`~tasks.parsing.bgp`, :mod:`~tasks.parsing.ipsec` and
:mod:`~tasks.parsing.routes`.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from ttp import ttp

from tasks import PROJECT_ROOT
from tasks.errors import ParseError
from tasks.parsing import bgp, ipsec, routes
from tasks.parsing.units import Builder

PARSERS_DIR = PROJECT_ROOT / "parsers"
COMMANDS_FILE = PARSERS_DIR / "commands.yaml"
#: Every builder by its name in the command table's ``builder:`` column.
BUILDERS: dict[str, Builder] = {**bgp.BUILDERS, **ipsec.BUILDERS, **routes.BUILDERS}


@dataclass(frozen=True)
class Variant:
    """One output format of a command: the template, the line that identifies it, and the
    builder that turns the template's result into records."""

    template: Path
    signature: re.Pattern[str]
    builder: Builder


@dataclass(frozen=True)
class CommandSpec:
    """One row of the command table."""

    platform: str
    command: re.Pattern[str]
    slug: str
    shape: str
    variants: tuple[Variant, ...]
    #: ``no_routes``: empty output is an empty table (else empty output is a ParseError).
    empty: str | None = None


@cache
def command_table() -> tuple[CommandSpec, ...]:
    """The command table, loaded once; a broken table is a ParseError, not a KeyError."""
    try:
        data = yaml.safe_load(COMMANDS_FILE.read_text())
        return tuple(
            CommandSpec(
                platform=platform,
                command=re.compile(entry["command"]),
                slug=entry["slug"],
                shape=entry["shape"],
                variants=tuple(_variant(platform, entry["command"], v) for v in entry["variants"]),
                empty=entry.get("empty"),
            )
            for platform, entries in data.items()
            for entry in entries
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise ParseError(f"command table {COMMANDS_FILE} is unusable: {exc}") from exc


def _variant(platform: str, command: str, variant: dict[str, str]) -> Variant:
    """One ``variants:`` item, its builder looked up by name (an unknown name is refused)."""
    name = variant["builder"]
    if name not in BUILDERS:
        raise ParseError(
            f"command table {COMMANDS_FILE}: {platform} {command!r} names builder {name!r}, "
            f"which does not exist; known builders: {', '.join(sorted(BUILDERS))}"
        )
    return Variant(
        PARSERS_DIR / variant["template"], re.compile(variant["signature"], re.M), BUILDERS[name]
    )


def lookup(platform: str, command: str) -> CommandSpec:
    """The command table row for ``command`` on ``platform``.

    Raises:
        ParseError: the platform or the command is not in the table.
    """
    normalised = " ".join(command.split())
    specs = [s for s in command_table() if s.platform == platform]
    if not specs:
        raise ParseError(f"no parsers for platform {platform!r}")
    for spec in specs:
        if spec.command.fullmatch(normalised):
            return spec
    raise ParseError(f"no parser for {command!r} on platform {platform!r}")


def select_variant(spec: CommandSpec, raw: str) -> Variant | None:
    """The first variant whose signature is in ``raw``, or ``None`` when none is."""
    for variant in spec.variants:
        if variant.signature.search(raw):
            return variant
    return None


@cache
def _template_text(path: Path) -> str:
    return path.read_text()


def run_template(template: Path, raw: str) -> dict[str, Any]:
    """Run one TTP template over ``raw`` and return its single result mapping."""
    parser = ttp(data=raw, template=_template_text(template))
    parser.parse()
    result = parser.result()
    try:
        found = result[0][0]
    except (IndexError, KeyError, TypeError):
        return {}
    return found if isinstance(found, dict) else {}


#: Line-oriented tables are fed to TTP in slices of this many lines: TTP's time per line grows
#: with the size of its input (measured: about 1.6x per path from 10k to 1M paths), a slice's
#: does not, so a 1M-path table parses in linear time. Groups never span lines in these tables.
CHUNK_LINES = 10_000
CHUNKED_SHAPES = frozenset({"bgp_table", "bgp_summary"})


def _merge(into: dict[str, list[Any]], found: dict[str, Any]) -> None:
    """Collect one slice's TTP result: every key's matches, in input order."""
    for key, value in found.items():
        into.setdefault(key, []).extend(value if isinstance(value, list) else [value])


def run_chunked(template: Path, raw: str, chunk_lines: int = CHUNK_LINES) -> dict[str, Any]:
    """``run_template`` over slices of ``raw``, merged; only for line-oriented templates."""
    lines = raw.splitlines(keepends=True)
    if len(lines) <= chunk_lines:
        return run_template(template, raw)
    merged: dict[str, list[Any]] = {}
    for start in range(0, len(lines), chunk_lines):
        _merge(merged, run_template(template, "".join(lines[start : start + chunk_lines])))
    # a key matched once (the header, the footer) reads as it would from one TTP run
    return {key: values[0] if len(values) == 1 else values for key, values in merged.items()}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big table is turned into records.

    A 1M-path table makes millions of small dicts that all stay alive; each collection the
    allocations trigger scans every one of them, so with the collector running parse time grew
    about 1.5x per path from 100k to 1M paths. Records hold no reference cycles, so reference
    counting frees them without it; the collector is restored as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
