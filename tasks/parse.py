"""Parse show-command output into typed records with the TTP templates under ``parsers/``.

``parse(platform, command, raw)`` looks the command up in ``parsers/commands.yaml``, picks the
template whose signature the output carries, runs TTP and normalises the result into the
records of :mod:`tasks.records`.

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

import gc
import ipaddress
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from ttp import ttp

from tasks import PROJECT_ROOT
from tasks.errors import ParseError
from tasks.records import (
    BgpNeighbor,
    BgpNeighborDetail,
    BgpPath,
    BgpSummary,
    BgpTable,
    IpsecSa,
    Origin,
    Route,
    RouteTable,
)

PARSERS_DIR = PROJECT_ROOT / "parsers"
COMMANDS_FILE = PARSERS_DIR / "commands.yaml"

Parsed = BgpTable | BgpSummary | BgpNeighborDetail | RouteTable | list[IpsecSa]


@dataclass(frozen=True)
class Variant:
    """One output format of a command: the template and the line that identifies it."""

    template: Path
    signature: re.Pattern[str]


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
                variants=tuple(
                    Variant(PARSERS_DIR / v["template"], re.compile(v["signature"], re.M))
                    for v in entry["variants"]
                ),
                empty=entry.get("empty"),
            )
            for platform, entries in data.items()
            for entry in entries
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise ParseError(f"command table {COMMANDS_FILE} is unusable: {exc}") from exc


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
_CHUNKED_SHAPES = frozenset({"bgp_table", "bgp_summary"})


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
def _gc_paused() -> Iterator[None]:
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
    builder = _BUILDERS[variant.template.relative_to(PARSERS_DIR).as_posix()]
    if builder is _bgp_table:
        raw = three_column_status(raw)
    try:
        with _gc_paused():
            if spec.shape in _CHUNKED_SHAPES:
                found = run_chunked(variant.template, raw)
            else:
                found = run_template(variant.template, raw)
            return builder(found)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        # A template matched lines in a shape the builder did not expect (mangled output).
        raise ParseError(f"{command!r} on {platform}: unexpected output ({exc!r})") from exc


# --- unit conversion -------------------------------------------------------------------------

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


# --- BGP -------------------------------------------------------------------------------------

#: The BGP table's column header; its indent is the width of the status lead of every row.
_TABLE_HEADER = re.compile(r"^( *)Network +Next Hop +Metric +LocPrf +Weight +Path *$", re.M)
_NOT_ROWS = ("Displayed", "Total number of prefixes", "No BGP prefixes")


def three_column_status(raw: str) -> str:
    """Rewrite a BGP table's rows to the 3-character status lead of FRR 7.5 / 8.4.

    FRR's ``route_vty_short_status_out`` (bgpd/bgp_route.c) prints, before the prefix:
    FRR 7.5 status, best, internal (3 characters; header indented 3); FRR 8.4 the same, plus an
    RPKI state ``V``/``I``/``N`` in front only when RPKI is in use (header still 3); FRR 9.x
    always an RPKI state or a space first (4; header indented 4); FRR 10.x that, then a space
    (5; header indented 5). VyOS 1.3 ships FRR 7.5, 1.4 FRR 9.x, 1.5 FRR 10.x. The RPKI state
    is dropped: nothing here judges it.
    """
    header = _TABLE_HEADER.search(raw)
    if header is None:
        return raw
    width = len(header[1])
    if width == 3 and not re.search(r"^[VIN]", raw[header.end() :], re.M):
        return raw
    head, rows = raw[: header.end()], raw[header.end() :].splitlines(keepends=True)
    out = [head]
    for line in rows:
        if not line.strip() or line.startswith(_NOT_ROWS):
            out.append(line)
        elif width == 3:
            out.append(line[1:] if line[:1] in "VIN" else line)
        else:
            out.append(line[1:4] + line[width:])
    return "".join(out)


_ORIGIN: dict[str, Origin] = {"i": "IGP", "e": "EGP", "?": "incomplete"}


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text else None


def _classful(prefix: str) -> str:
    """Add the mask Quagga leaves off a prefix on a classful boundary (``0.0.0.0`` is /0)."""
    if "/" in prefix:
        return prefix
    first = int(prefix.split(".")[0])
    if prefix == "0.0.0.0":
        length = 0
    elif first < 128:
        length = 8
    elif first < 192:
        length = 16
    else:
        length = 24
    return f"{prefix}/{length}"


def _path(row: dict[str, str], prefix: str) -> BgpPath:
    """Build one path; ``columns`` starts right after the next hop, whose field is 16 wide."""
    status = row["status"]
    cols = row["columns"]
    pad = max(16 - len(row["next_hop"]), 1)
    metric_end = pad + 10
    metric, local_pref = cols[:metric_end], cols[metric_end : metric_end + 7]
    weight_and_path = cols[metric_end + 7 :].split()
    if not weight_and_path or not all(tok.strip("{}(),").isdigit() for tok in weight_and_path):
        raise ValueError(f"unreadable columns {cols!r}")
    return {
        "prefix": prefix,
        "next_hop": row["next_hop"],
        "metric": _int_or_none(metric),
        "local_pref": _int_or_none(local_pref),
        "weight": int(weight_and_path[0]),
        "as_path": [int(n) for n in re.findall(r"\d+", " ".join(weight_and_path[1:]))],
        "origin": _ORIGIN[row["origin"]],
        "valid": "*" in status,
        "best": ">" in status,
        "multipath": "=" in status,
        "internal": status[2:] == "i",
        "stale": "S" in status,
        "suppressed": "s" in status,
        "damped": "d" in status,
        "history": "h" in status,
        "rib_failure": "r" in status,
        "removed": "R" in status,
    }


def _as_list(value: Any) -> list[dict[str, str]]:
    """TTP gives a dict for one match and a list for several: always a list."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value or [] if isinstance(v, dict)]


def _bgp_table(found: dict[str, Any]) -> BgpTable:
    header = found.get("header") or {}
    footer = found.get("footer") or {}
    if isinstance(footer, list):
        raise ParseError("show ip bgp: more than one table footer")
    if not footer:
        raise ParseError("show ip bgp: no footer, the table is truncated")
    paths: list[BgpPath] = []
    prefix: str | None = None
    for row in _as_list(found.get("paths")):
        if "prefix" in row:
            prefix = _classful(row["prefix"])
        if prefix is None:
            raise ParseError("show ip bgp: continuation row before any prefix")
        try:
            paths.append(_path(row, prefix))
        except ValueError as exc:
            raise ParseError(f"show ip bgp: {exc}") from exc
    if footer.get("empty"):
        if paths or int(footer["routes"]):
            raise ParseError("show ip bgp: 'No BGP prefixes displayed' beside rows")
        return {"router_id": None, "local_as": None, "paths": []}
    if not isinstance(header, dict) or "router_id" not in header:
        raise ParseError("show ip bgp: no table header")
    if int(footer["routes"]) != len({p["prefix"] for p in paths}):
        raise ParseError(
            f"show ip bgp: footer says {footer['routes']} prefixes, "
            f"{len({p['prefix'] for p in paths})} parsed"
        )
    local_as = header.get("local_as")
    return {
        "router_id": header["router_id"],
        "local_as": int(local_as) if local_as else None,
        "paths": paths,
    }


def _neighbor(row: dict[str, str]) -> BgpNeighbor:
    state_pfx = row["state_pfx"]
    established = state_pfx.isdigit()
    description = row.get("description")
    return {
        "address": row["address"],
        "remote_as": int(row["remote_as"]),
        "up_down": row["up_down"],
        "up_down_s": duration_s(row["up_down"]),
        "state": "Established" if established else state_pfx,
        "established": established,
        "prefixes_received": int(state_pfx) if established else None,
        "prefixes_sent": int(row["pfx_sent"]) if "pfx_sent" in row else None,
        "description": None if description in (None, "N/A") else description,
    }


def _bgp_summary(found: dict[str, Any]) -> BgpSummary:
    header = found.get("header")
    footer = found.get("footer")
    if not isinstance(header, dict) or "router_id" not in header:
        raise ParseError("show ip bgp summary: no header")
    if not isinstance(footer, dict):
        raise ParseError("show ip bgp summary: no footer, the table is truncated")
    try:
        neighbors = [_neighbor(row) for row in _as_list(found.get("neighbors"))]
    except ValueError as exc:
        raise ParseError(f"show ip bgp summary: {exc}") from exc
    if int(footer["neighbors"]) != len(neighbors):
        raise ParseError(
            f"show ip bgp summary: footer says {footer['neighbors']} neighbors, "
            f"{len(neighbors)} parsed"
        )
    return {
        "router_id": header["router_id"],
        "local_as": int(header["local_as"]),
        "neighbors": neighbors,
    }


# --- IPsec -----------------------------------------------------------------------------------

#: IANA DH group numbers by strongSwan/VyOS proposal token.
DH_GROUPS = {
    "MODP_768": 1, "MODP_1024": 2, "MODP_1536": 5, "MODP_2048": 14, "MODP_3072": 15,
    "MODP_4096": 16, "MODP_6144": 17, "MODP_8192": 18, "ECP_256": 19, "ECP_384": 20,
    "ECP_521": 21, "MODP_1024_160": 22, "MODP_2048_224": 23, "MODP_2048_256": 24,
    "ECP_192": 25, "ECP_224": 26, "CURVE_25519": 31, "CURVE_448": 32,
}  # fmt: skip
_INTEGRITY = re.compile(r"(?:HMAC|AES)_([A-Z0-9]+?)(?:_(\d+))?(?:_\d+)?$")


def _encryption(token: str) -> str:
    """``AES_CBC_256`` / ``AES_CBC-256`` -> ``aes256``; ``AES_GCM_16_128`` -> ``aes128gcm16``."""
    parts = re.split(r"[_-]", token.upper())
    if parts[:2] == ["AES", "CBC"] and len(parts) == 3:
        return f"aes{parts[2]}"
    if parts[:2] == ["AES", "GCM"] and len(parts) == 4:
        return f"aes{parts[3]}gcm{parts[2]}"
    return "".join(parts).lower()


def _integrity(token: str) -> str:
    """``HMAC_SHA1_96`` -> ``sha1``, ``HMAC_SHA2_256_128`` -> ``sha256``, ``HMAC_MD5_96`` -> md5.

    The truncation length is dropped: compliance asks which hash, not how it is cut.
    """
    token = token.upper()
    sha2 = re.fullmatch(r"HMAC_SHA2_(\d+)_\d+", token)
    if sha2:
        return f"sha{sha2[1]}"
    match = _INTEGRITY.fullmatch(token)
    return match[1].lower() if match else token.lower()


def _proposal(text: str) -> tuple[str | None, str | None, int | None]:
    """Split a proposal such as ``AES_CBC_128/HMAC_SHA1_96/MODP_1024`` into its parts."""
    encryption = integrity = None
    dh_group = None
    for i, token in enumerate(text.split("/")):
        if token in DH_GROUPS:
            dh_group = DH_GROUPS[token]
        elif i == 0:
            encryption = _encryption(token)
        elif token.startswith(("HMAC_", "AES_XCBC", "AES_CMAC")) and integrity is None:
            integrity = _integrity(token)
    return encryption, integrity, dh_group


def _v12_hash(text: str) -> str | None:
    """VyOS 1.2 Hash column: ``sha1``, ``sha256``, ``md5``; DMVPN rows print a bare ``256``."""
    value = text.lower()
    if value == "n/a":
        return None
    return f"sha{value}" if value.isdigit() else value


def _ipsec_v12(found: dict[str, Any]) -> list[IpsecSa]:
    sas: list[IpsecSa] = []
    for peer in _as_list(found.get("peers")):
        if "remote_address" not in peer:
            continue  # the address line is missing: its tunnels belong to no known peer
        description = peer.get("description", "").strip().removeprefix("Description:").strip()
        for row in _as_list(peer.get("tunnels")):
            *tunnel, state = row["tunnel_state"].split()
            try:
                bytes_out, bytes_in = _pair(row["bytes_out_in"], 1024)
            except ValueError:
                continue
            encryption = None if row["encryption"] == "n/a" else row["encryption"].lower()
            name = f"peer-{peer['remote_address']}-tunnel-{tunnel[0] if tunnel else ''}"
            sas.append(
                {
                    "connection": name.rstrip("-"),
                    "description": description or None,
                    "remote_address": peer["remote_address"],
                    "local_address": peer["local_address"],
                    "state": "up" if state == "up" else "down",
                    "up": state == "up",
                    "bytes_in": bytes_in,
                    "bytes_out": bytes_out,
                    "packets_in": None,
                    "packets_out": None,
                    "encryption": encryption,
                    "integrity": _v12_hash(row["hash"]),
                    "dh_group": None,
                    "ike_version": None,
                    "nat_t": row["nat_t"] == "yes",
                    "uptime_s": int(row["active_time"]),
                    "lifetime_s": int(row["lifetime"]),
                }
            )
    return sas


def _pair(text: str, base: int) -> tuple[int | None, int | None]:
    """``7.5M/230.6K`` -> both sizes; ``n/a`` (one value for the pair) -> ``(None, None)``."""
    if text.strip().lower() == "n/a":
        return None, None
    first, _, second = text.partition("/")
    return human_size(first, base), human_size(second or "n/a", base)


_UP_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _strongswan_ago(text: str) -> int | None:
    """VyOS 1.2's Up column, strongSwan's ``ESTABLISHED 14 minutes ago``: ``14 minutes``."""
    match = re.fullmatch(r"(\d+) (second|minute|hour|day|week)s?", text.strip())
    if match is None:
        return None
    return int(match[1]) * _UP_UNITS[match[2]]


def _ipsec_v12_table(found: dict[str, Any]) -> list[IpsecSa]:
    """VyOS 1.2 (crux ``show_ipsec_sa.py``): 7 columns, one row per ipsec.conf connection."""
    sas: list[IpsecSa] = []
    for row in _as_list(found.get("sas")):
        up = row["state"] == "up"
        try:
            bytes_in, bytes_out = _pair(row["bytes_in_out"], 1024)
        except ValueError:
            continue
        encryption, integrity, dh_group = (
            _proposal(row["proposal"]) if row["proposal"] != "N/A" else (None, None, None)
        )
        remote = row["remote_address"]
        sas.append(
            {
                "connection": row["connection"],
                "description": None,
                "remote_address": None if remote == "N/A" else remote,
                "local_address": None,
                "state": "up" if up else "down",
                "up": up,
                "bytes_in": bytes_in,
                "bytes_out": bytes_out,
                "packets_in": None,
                "packets_out": None,
                "encryption": encryption,
                "integrity": integrity,
                "dh_group": dh_group,
                "ike_version": None,
                "nat_t": None,
                "uptime_s": _strongswan_ago(row["up"]),
                "lifetime_s": None,
            }
        )
    return sas


def _ipsec_not_running(found: dict[str, Any]) -> list[IpsecSa]:
    """strongSwan is stopped: no SA at all (which verify reads as every tunnel down)."""
    return []


def _ipsec_v13(found: dict[str, Any]) -> list[IpsecSa]:
    sas: list[IpsecSa] = []
    for row in _as_list(found.get("sas")):
        if row["connection"].startswith("-"):
            continue
        up = row["state"] == "up"
        try:
            bytes_in, bytes_out = _pair(row["bytes_in_out"], 1024)
            packets_in, packets_out = _pair(row["packets_in_out"], 1000)
            uptime = duration_s(row["uptime"])
        except ValueError:
            continue
        encryption, integrity, dh_group = (
            _proposal(row["proposal"]) if row["proposal"] != "N/A" else (None, None, None)
        )
        remote = row["remote_address"]
        sas.append(
            {
                "connection": row["connection"],
                "description": None,
                "remote_address": None if remote == "N/A" else remote,
                "local_address": None,
                "state": "up" if up else "down",
                "up": up,
                "bytes_in": bytes_in,
                "bytes_out": bytes_out,
                "packets_in": packets_in,
                "packets_out": packets_out,
                "encryption": encryption,
                "integrity": integrity,
                "dh_group": dh_group,
                "ike_version": None,
                "nat_t": None,
                "uptime_s": uptime,
                "lifetime_s": None,
            }
        )
    return sas


_ENDPOINT = re.compile(r"'(?P<id>[^']*)' @ (?P<address>[^\[\s]+)\[(?P<port>\d+)\]")


def _swanctl(found: dict[str, Any]) -> list[IpsecSa]:
    sas: list[IpsecSa] = []
    for ike in _as_list(found.get("ike_sas")):
        local = _ENDPOINT.fullmatch(ike.get("local", ""))
        remote = _ENDPOINT.fullmatch(ike.get("remote", ""))
        ike_up = ike["state"] == "ESTABLISHED"
        _, _, ike_dh = _proposal(ike.get("proposal", ""))
        base: IpsecSa = {
            "connection": ike["name"],
            "description": None,
            "remote_address": remote["address"] if remote else None,
            "local_address": local["address"] if local else None,
            "state": "down",
            "up": False,
            "bytes_in": None,
            "bytes_out": None,
            "packets_in": None,
            "packets_out": None,
            "encryption": None,
            "integrity": None,
            "dh_group": ike_dh,
            "ike_version": int(ike["version"]),
            "nat_t": None,
            "uptime_s": int(ike["established_s"]) if "established_s" in ike else None,
            "lifetime_s": None,
        }
        children = [c for c in _as_list(ike.get("children")) if "bytes_out" in c]
        if not children:
            sas.append(base)
            continue
        for child in children:
            encryption, integrity, dh_group = _proposal(child["proposal"])
            installed = child["state"] == "INSTALLED"
            sas.append(
                {
                    **base,
                    "connection": child["name"],
                    "state": "up" if ike_up and installed else "down",
                    "up": ike_up and installed,
                    "bytes_in": int(child["bytes_in"]),
                    "bytes_out": int(child["bytes_out"]),
                    "packets_in": int(child["packets_in"]),
                    "packets_out": int(child["packets_out"]),
                    "encryption": encryption,
                    "integrity": integrity,
                    "dh_group": dh_group if dh_group is not None else ike_dh,
                    "nat_t": child["mode"].endswith("-in-UDP"),
                }
            )
    return sas


# --- routes ----------------------------------------------------------------------------------

_PROTOCOLS = {
    "K": "kernel", "C": "connected", "S": "static", "R": "rip", "O": "ospf", "I": "isis",
    "B": "bgp", "E": "eigrp", "N": "nhrp", "T": "table", "A": "babel", "F": "pbr",
}  # fmt: skip


def _route(row: dict[str, str]) -> Route:
    code = row["code"]
    distance = metric = None
    if "distance_metric" in row:
        distance, metric = (int(n) for n in row["distance_metric"].strip("[]").split("/"))
    next_hops = row.get("next_hops", "")
    hops = [h for h in next_hops.split(",") if h] if isinstance(next_hops, str) else []
    for hop in hops:
        ipaddress.ip_address(hop)
    return {
        "prefix": row["prefix"],
        "protocol": _PROTOCOLS.get(code[0], code[0]),
        "selected": ">" in code,
        "fib": "*" in code,
        "distance": distance,
        "metric": metric,
        "next_hops": hops,
        "interface": row.get("interface"),
    }


def _route_table(found: dict[str, Any]) -> RouteTable:
    try:
        return {"routes": [_route(row) for row in _as_list(found.get("routes"))]}
    except ValueError as exc:
        raise ParseError(f"show ip route: {exc}") from exc


def _bgp_neighbor(found: dict[str, Any]) -> BgpNeighborDetail:
    rows = _as_list(found.get("neighbor"))
    if len(rows) != 1:
        raise ParseError(f"show ip bgp neighbors: expected one neighbor, found {len(rows)}")
    row = rows[0]

    def number(key: str) -> int | None:
        return int(row[key]) if key in row else None

    return {
        "address": row["address"],
        "remote_as": int(row["remote_as"]),
        "local_as": int(row["local_as"]),
        "state": row["state"],
        "admin_down": bool(row.get("admin_down", False)),
        "hold_time": number("hold_time"),
        "keepalive": number("keepalive"),
        "configured_hold_time": number("configured_hold_time"),
        "configured_keepalive": number("configured_keepalive"),
    }


_BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "frr/show_ip_bgp_neighbor.ttp": _bgp_neighbor,
    "frr/show_ip_bgp.ttp": _bgp_table,
    "vyos/show_ip_bgp_quagga.ttp": _bgp_table,
    "frr/show_ip_bgp_summary.ttp": _bgp_summary,
    "frr/show_ip_route.ttp": _route_table,
    "frr/swanctl_list_sas.ttp": _swanctl,
    "vyos/show_vpn_ipsec_sa_v12.ttp": _ipsec_v12,
    "vyos/show_vpn_ipsec_sa_v13.ttp": _ipsec_v13,
    "vyos/show_vpn_ipsec_sa_v12_table.ttp": _ipsec_v12_table,
    "vyos/show_vpn_ipsec_sa_not_running.ttp": _ipsec_not_running,
}


def template_for(platform: str, command: str, raw: str) -> Path | None:
    """The template ``parse`` would use for ``raw``; lets tests check every template is used."""
    variant = select_variant(lookup(platform, command), raw)
    return variant.template if variant else None
