"""Records from IPsec SA output: VyOS `show vpn ipsec sa` (1.2, 1.3+) and `swanctl --list-sas`."""

from __future__ import annotations

import re
from typing import Any

from tasks.parsing.units import Builder, as_list, duration_s, pair
from tasks.records import IpsecSa

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


def ipsec_v12(found: dict[str, Any]) -> list[IpsecSa]:
    sas: list[IpsecSa] = []
    for peer in as_list(found.get("peers")):
        if "remote_address" not in peer:
            continue  # the address line is missing: its tunnels belong to no known peer
        description = peer.get("description", "").strip().removeprefix("Description:").strip()
        for row in as_list(peer.get("tunnels")):
            *tunnel, state = row["tunnel_state"].split()
            try:
                bytes_out, bytes_in = pair(row["bytes_out_in"], 1024)
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


_UP_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _strongswan_ago(text: str) -> int | None:
    """VyOS 1.2's Up column, strongSwan's ``ESTABLISHED 14 minutes ago``: ``14 minutes``."""
    match = re.fullmatch(r"(\d+) (second|minute|hour|day|week)s?", text.strip())
    if match is None:
        return None
    return int(match[1]) * _UP_UNITS[match[2]]


def _table_sa(
    row: dict[str, str],
    up: bool,
    bytes_in_out: tuple[int | None, int | None],
    packets_in_out: tuple[int | None, int | None],
    uptime_s: int | None,
) -> IpsecSa:
    """One row of VyOS's ``show vpn ipsec sa`` table (1.2 and 1.3+ print the same columns)."""
    encryption, integrity, dh_group = (
        _proposal(row["proposal"]) if row["proposal"] != "N/A" else (None, None, None)
    )
    remote = row["remote_address"]
    return {
        "connection": row["connection"],
        "description": None,
        "remote_address": None if remote == "N/A" else remote,
        "local_address": None,
        "state": "up" if up else "down",
        "up": up,
        "bytes_in": bytes_in_out[0],
        "bytes_out": bytes_in_out[1],
        "packets_in": packets_in_out[0],
        "packets_out": packets_in_out[1],
        "encryption": encryption,
        "integrity": integrity,
        "dh_group": dh_group,
        "ike_version": None,
        "nat_t": None,
        "uptime_s": uptime_s,
        "lifetime_s": None,
    }


def ipsec_v12_table(found: dict[str, Any]) -> list[IpsecSa]:
    """VyOS 1.2 (crux ``show_ipsec_sa.py``): 7 columns, one row per ipsec.conf connection."""
    sas: list[IpsecSa] = []
    for row in as_list(found.get("sas")):
        up = row["state"] == "up"
        try:
            bytes_in_out = pair(row["bytes_in_out"], 1024)
        except ValueError:
            continue
        sas.append(_table_sa(row, up, bytes_in_out, (None, None), _strongswan_ago(row["up"])))
    return sas


def ipsec_not_running(found: dict[str, Any]) -> list[IpsecSa]:
    """strongSwan is stopped: no SA at all (which verify reads as every tunnel down)."""
    return []


def ipsec_v13(found: dict[str, Any]) -> list[IpsecSa]:
    sas: list[IpsecSa] = []
    for row in as_list(found.get("sas")):
        if row["connection"].startswith("-"):
            continue
        up = row["state"] == "up"
        try:
            bytes_in_out = pair(row["bytes_in_out"], 1024)
            packets_in_out = pair(row["packets_in_out"], 1000)
            uptime = duration_s(row["uptime"])
        except ValueError:
            continue
        sas.append(_table_sa(row, up, bytes_in_out, packets_in_out, uptime))
    return sas


_ENDPOINT = re.compile(r"'(?P<id>[^']*)' @ (?P<address>[^\[\s]+)\[(?P<port>\d+)\]")


def swanctl(found: dict[str, Any]) -> list[IpsecSa]:
    sas: list[IpsecSa] = []
    for ike in as_list(found.get("ike_sas")):
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
        children = [c for c in as_list(ike.get("children")) if "bytes_out" in c]
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


#: This module's builders by the name ``parsers/commands.yaml`` gives them.
BUILDERS: dict[str, Builder] = {
    "ipsec_v12": ipsec_v12,
    "ipsec_v12_table": ipsec_v12_table,
    "ipsec_v13": ipsec_v13,
    "ipsec_not_running": ipsec_not_running,
    "swanctl": swanctl,
}
