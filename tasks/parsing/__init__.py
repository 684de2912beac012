"""Parse show-command output into typed records with the TTP templates under ``parsers/``.

``parse(platform, command, raw)`` looks the command up in ``parsers/commands.yaml``, picks the
template whose signature the output carries, runs TTP and normalises the result into the
records of :mod:`tasks.records` with the builder that variant names. The command table and the
TTP runs are :mod:`tasks.parsing.table`, column conversions :mod:`tasks.parsing.units`, and
each shape's builders a module of their own, registered there by the name the table uses
(:mod:`~tasks.parsing.bgp`, :mod:`~tasks.parsing.ipsec`, :mod:`~tasks.parsing.routes`).

What the caller gets for bad input (the contract the fuzz tests hold it to):

- An unknown platform or command raises :class:`~tasks.errors.ParseError` before any parsing.
- Output that is not this command's (garbage, another command, an error message, a table cut
  off before its header or before its footer) raises ``ParseError``. A BGP table or summary is
  only accepted when its footer is present and agrees with the rows parsed, so a truncated
  table is never mistaken for a smaller healthy one.
- Blank output raises ``ParseError`` for BGP and route commands (vtysh prints nothing when
  bgpd is down) and is an empty list for IPsec commands, where nothing means no SAs.
- A row that does not parse is left out, never guessed at: no record is healthier than the
  text it came from.
"""

from __future__ import annotations

from pathlib import Path

from tasks.errors import ParseError
from tasks.parsing import bgp
from tasks.parsing.table import (
    CHUNKED_SHAPES,
    gc_paused,
    lookup,
    run_chunked,
    run_template,
    select_variant,
)
from tasks.records import BgpNeighborDetail, BgpSummary, BgpTable, IpsecSa, RouteTable

Parsed = BgpTable | BgpSummary | BgpNeighborDetail | RouteTable | list[IpsecSa]


def parse(platform: str, command: str, raw: str) -> Parsed:
    """Parse ``raw``, the output of ``command`` on a ``platform`` device, into records.

    Args:
        platform: inventory platform name (``vyos`` or ``frr``).
        command: the command as sent, e.g. ``show ip bgp neighbors 169.254.1.1 routes``.
        raw: what the device printed.

    Returns:
        ``BgpTable`` for ``show ip bgp`` and the neighbor route tables, ``BgpSummary`` for the
        summary, ``RouteTable`` for ``show ip route``, ``list[IpsecSa]`` for IPsec commands.

    Raises:
        ParseError: unknown platform or command, or output that is not a whole answer to this
            command (see the module docstring).
    """
    spec = lookup(platform, command)
    if not raw.strip():
        if spec.shape == "ipsec_sas":
            return []
        if spec.empty == "no_routes":
            return {"router_id": None, "local_as": None, "paths": []}
        raise ParseError(f"{command!r} on {platform}: empty output")
    variant = select_variant(spec, raw)
    if variant is None:
        raise ParseError(f"{command!r} on {platform}: output is not in a known format")
    builder = variant.builder
    if builder is bgp.bgp_table:
        raw = bgp.three_column_status(raw)
    try:
        with gc_paused():
            if spec.shape in CHUNKED_SHAPES:
                found = run_chunked(variant.template, raw)
            else:
                found = run_template(variant.template, raw)
            return builder(found)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        # A template matched lines in a shape the builder did not expect (mangled output).
        raise ParseError(f"{command!r} on {platform}: unexpected output ({exc!r})") from exc


def template_for(platform: str, command: str, raw: str) -> Path | None:
    """The template ``parse`` would use for ``raw``; lets tests check every template is used."""
    variant = select_variant(lookup(platform, command), raw)
    return variant.template if variant else None
