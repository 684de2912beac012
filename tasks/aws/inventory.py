"""Fill the inventory's tunnel data from AWS: no hand-copied addresses, CIDRs or keys.

Each router's VPN connection is found by its customer gateway's IP (``wan.address``). From the
connection's customer gateway configuration (the XML AWS offers for download) come each
tunnel's AWS outside address, inside /30, the VGW's ASN and the pre-shared key. They are merged
into the Nornir hosts *before* validation, through a registered transform function, so the
usual rules (unique /30s per VGW, one primary ...) judge the merged result.

Keys stay in memory: each is stored with :func:`tasks.secrets.store_in_memory` (which also adds
it to the redaction set) and the tunnel's ``psk`` becomes ``{memory: <name>}``. The XML is
parsed and dropped; no record here holds a key. botocore's DEBUG log would print response
bodies, keys included, before this module sees them, so :class:`KeyScrubFilter` masks key
elements on botocore's loggers while connections are fetched.

Which inventory tunnel gets which AWS tunnel: the one whose inside /30 matches, if any, else
the next in inventory order (AWS lists tunnels in its own stable order).
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from nornir.core import Nornir
from nornir.core.exceptions import PluginAlreadyRegistered
from nornir.core.inventory import Host
from nornir.core.plugins.inventory import TransformFunctionRegister

from tasks.aws.session import AwsError, ClientFactory, describe_error
from tasks.inventory import load
from tasks.secrets import MASK, SecretRef, store_in_memory

log = logging.getLogger(__name__)

TRANSFORM_NAME = "vpc_bgp_ha_aws_vpn"
#: botocore loggers that print request/response bodies at DEBUG.
BODY_LOGGERS = ("botocore.parsers", "botocore.endpoint", "botocore.hooks", "botocore.auth")
_KEY_PATTERNS = (
    re.compile(r"(&lt;pre_shared_key&gt;|<pre_shared_key>)(.*?)(&lt;/|</)"),
    re.compile(r"(<preSharedKey>)(.*?)(</)"),
    re.compile(r"""(['"]?PreSharedKey['"]?\s*[:=]\s*['"])([^'"]*)(['"])"""),
)


@dataclass(frozen=True)
class AwsTunnel:
    """One tunnel as AWS holds it; ``psk`` is a memory reference, never the key."""

    outside_address: str
    inside_cidr: str
    psk: SecretRef


@dataclass(frozen=True)
class AwsVpnConnection:
    """What the inventory needs from one VPN connection."""

    id: str
    state: str
    vgw_id: str
    vgw_asn: int | None
    customer_gateway_id: str
    customer_gateway_ip: str
    tunnels: tuple[AwsTunnel, ...]


class KeyScrubFilter(logging.Filter):
    """Mask pre-shared key elements in botocore's body dumps (keys not yet known to redact)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = message
        for pattern in _KEY_PATTERNS:
            cleaned = pattern.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


@contextlib.contextmanager
def scrubbed_botocore_logs() -> Iterator[None]:
    """Attach :class:`KeyScrubFilter` to botocore's body loggers for the duration."""
    scrub = KeyScrubFilter()
    loggers = [logging.getLogger(name) for name in BODY_LOGGERS]
    for logger in loggers:
        logger.addFilter(scrub)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(scrub)


def _text(node: ET.Element, path: str) -> str:
    found = node.find(path)
    if found is None or found.text is None or not found.text.strip():
        raise AwsError(f"customer gateway configuration has no {path}")
    return found.text.strip()


def parse_customer_gateway_configuration(
    xml_text: str, connection_id: str
) -> tuple[int | None, tuple[AwsTunnel, ...]]:
    """The VGW ASN and the tunnels of a connection's customer gateway configuration.

    Each key is moved into the in-memory store as it is read. The XML comes from the EC2 API
    over TLS; Python's expat parser resolves no external entities.

    Raises:
        AwsError: the XML is malformed or lacks an address, CIDR or key.
    """
    try:
        root = ET.fromstring(xml_text.strip())
    except ET.ParseError as exc:
        raise AwsError(f"{connection_id}: customer gateway configuration is not XML") from exc
    tunnels: list[AwsTunnel] = []
    vgw_asn: int | None = None
    for index, node in enumerate(root.findall("ipsec_tunnel"), start=1):
        outside = _text(node, "vpn_gateway/tunnel_outside_address/ip_address")
        aws_inside = _text(node, "vpn_gateway/tunnel_inside_address/ip_address")
        prefix = _text(node, "vpn_gateway/tunnel_inside_address/network_cidr")
        try:
            cidr = ipaddress.ip_network(f"{aws_inside}/{prefix}", strict=False)
            ipaddress.ip_address(outside)
        except ValueError as exc:
            raise AwsError(f"{connection_id} tunnel {index}: bad address in XML ({exc})") from exc
        asn = node.findtext("vpn_gateway/bgp/asn")
        if asn and asn.strip().isdigit():
            vgw_asn = int(asn.strip())
        key = _text(node, "ike/pre_shared_key")
        ref = store_in_memory(f"aws/{connection_id}/tunnel{index}", key)
        tunnels.append(AwsTunnel(outside, str(cidr), ref))
    if not tunnels:
        raise AwsError(f"{connection_id}: customer gateway configuration lists no tunnels")
    return vgw_asn, tuple(tunnels)


def fetch_vpn_connections(
    session: ClientFactory, *, vgw_id: str | None = None, gateway_ips: Sequence[str] = ()
) -> list[AwsVpnConnection]:
    """VPN connections (available or pending) with their customer gateway IPs and tunnels.

    Args:
        session: where the EC2 client comes from.
        vgw_id: only connections to this VGW.
        gateway_ips: only connections whose customer gateway has one of these IPs.

    Raises:
        AwsError: an API call failed, or a connection's configuration cannot be read.
    """
    ec2 = session.client("ec2")
    filters = [{"Name": "state", "Values": ["pending", "available"]}]
    if vgw_id:
        filters.append({"Name": "vpn-gateway-id", "Values": [vgw_id]})
    try:
        with scrubbed_botocore_logs():
            raw = ec2.describe_vpn_connections(Filters=filters)["VpnConnections"]
        gateway_ids = sorted({c["CustomerGatewayId"] for c in raw})
        gateways = (
            ec2.describe_customer_gateways(CustomerGatewayIds=gateway_ids)["CustomerGateways"]
            if gateway_ids
            else []
        )
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"cannot read VPN connections: {describe_error(exc)}") from exc
    ip_of = {g["CustomerGatewayId"]: g.get("IpAddress", "") for g in gateways}
    wanted = set(gateway_ips)
    connections: list[AwsVpnConnection] = []
    for item in raw:
        ip = ip_of.get(item["CustomerGatewayId"], "")
        if wanted and ip not in wanted:
            continue
        xml_text = item.pop("CustomerGatewayConfiguration", "")
        if not xml_text:
            raise AwsError(
                f"{item['VpnConnectionId']} has no customer gateway configuration yet "
                f"(state {item['State']}); wait until it is available"
            )
        asn, tunnels = parse_customer_gateway_configuration(xml_text, item["VpnConnectionId"])
        del xml_text
        connections.append(
            AwsVpnConnection(
                id=item["VpnConnectionId"],
                state=item["State"],
                vgw_id=item.get("VpnGatewayId", ""),
                vgw_asn=asn,
                customer_gateway_id=item["CustomerGatewayId"],
                customer_gateway_ip=ip,
                tunnels=tunnels,
            )
        )
    log.info("read %d VPN connection(s) from AWS", len(connections))
    return connections


def by_gateway_ip(connections: Sequence[AwsVpnConnection]) -> dict[str, AwsVpnConnection]:
    """Index by customer gateway IP; two live connections on one IP is ambiguous, so refused."""
    index: dict[str, AwsVpnConnection] = {}
    for conn in connections:
        if conn.customer_gateway_ip in index:
            other = index[conn.customer_gateway_ip]
            raise AwsError(
                f"customer gateway {conn.customer_gateway_ip} has two VPN connections "
                f"({other.id}, {conn.id}); pass the VGW id to filter, or remove one"
            )
        index[conn.customer_gateway_ip] = conn
    return index


def merged_tunnels(
    declared: Sequence[Mapping[str, Any]], conn: AwsVpnConnection
) -> list[dict[str, Any]]:
    """The inventory's tunnels with AWS's outside address, inside /30 and key filled in.

    Names, interfaces and ports stay the inventory's (they are the router's side). Inventory
    tunnels beyond AWS's are kept as declared; AWS tunnels beyond the inventory's are skipped
    with a warning (a router may use one tunnel on purpose).
    """
    if not declared:
        raise AwsError(
            f"{conn.id}: the inventory declares no tunnels; give each its name and interface"
        )
    remaining = list(conn.tunnels)
    slots: list[AwsTunnel | None] = [None] * len(declared)
    for i, tunnel in enumerate(declared):  # first, tunnels whose /30 already matches
        wanted = str(tunnel.get("inside_cidr"))
        match = next((t for t in remaining if t.inside_cidr == wanted), None)
        if match:
            slots[i] = match
            remaining.remove(match)
    for i in range(len(declared)):  # then the rest, in order
        if slots[i] is None and remaining:
            slots[i] = remaining.pop(0)
    if remaining:
        log.warning("%s: %d AWS tunnel(s) not in the inventory", conn.id, len(remaining))
    merged = []
    for tunnel, aws in zip(declared, slots, strict=True):
        entry = copy.deepcopy(dict(tunnel))
        if aws is not None:
            entry["outside_address"] = aws.outside_address
            entry["inside_cidr"] = aws.inside_cidr
            entry["psk"] = aws.psk
        merged.append(entry)
    return merged


def merge_into_host(host: Host, conn: AwsVpnConnection) -> None:
    """Write AWS's tunnel data and VGW onto the host itself (groups stay untouched)."""
    declared = host.get("tunnels") or []
    host.data["tunnels"] = merged_tunnels(declared, conn)
    vpc = copy.deepcopy(dict(host.get("vpc") or {}))
    vgw = dict(vpc.get("vgw") or {})
    if conn.vgw_id:
        vgw["id"] = conn.vgw_id
    if conn.vgw_asn is not None:
        vgw["asn"] = conn.vgw_asn
    vpc["vgw"] = vgw
    host.data["vpc"] = vpc


def aws_vpn_transform(
    host: Host, connections: Mapping[str, AwsVpnConnection] | None = None, **_: Any
) -> None:
    """Nornir transform function: merge the host's VPN connection, found by its WAN address."""
    wan = host.get("wan") or {}
    address = str(wan.get("address", "")) if isinstance(wan, Mapping) else ""
    conn = (connections or {}).get(address)
    if conn is None:
        log.warning("%s: no VPN connection in AWS for customer gateway %s", host.name, address)
        return
    merge_into_host(host, conn)
    log.info("%s: tunnels filled from %s", host.name, conn.id)


with contextlib.suppress(PluginAlreadyRegistered):  # a re-import registers the same name
    TransformFunctionRegister.register(TRANSFORM_NAME, aws_vpn_transform)


def load_with_aws(
    config_file: str | Path,
    session: ClientFactory,
    *,
    vgw_id: str | None = None,
) -> Nornir:
    """Load and validate the inventory with each router's tunnels filled from AWS.

    The config's own ``transform_function`` is replaced for this load.

    Raises:
        AwsError: AWS could not be read.
        InventoryError: the merged inventory breaks a rule.
    """
    connections = by_gateway_ip(fetch_vpn_connections(session, vgw_id=vgw_id))
    return load(
        config_file,
        inventory={
            "transform_function": TRANSFORM_NAME,
            "transform_function_options": {"connections": connections},
        },
    )
