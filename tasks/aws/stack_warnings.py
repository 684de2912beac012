"""Which planned stack changes take a VPN connection's tunnels down, said before they happen.

CloudFormation turns a change to an ``AWS::EC2::VPNConnection`` into one of three EC2 calls
(shared/DESIGN.md: AWS's maintenance facts):

- a replacement (``Replacement`` True or Conditional; e.g. ``StaticRoutesOnly``, ``Type``):
  a new connection, both tunnels down, new outside addresses and keys;
- ``ModifyVpnConnection`` (``CustomerGatewayId``, ``VpnGatewayId``, ``TransitGatewayId``) or
  ``ModifyVpnConnectionOptions`` (the local/remote network CIDRs): **both tunnels** go down;
- ``ModifyVpnTunnelOptions`` (``VpnTunnelOptionsSpecifications``): each modified tunnel goes
  down while it is changed.

Removing a connection takes its router off AWS for good. Each warning names the router (from the
logical id, :func:`tasks.aws.template.logical_name`) and what to do first: drain it when it is the
primary (prepend on it as failover.py's drain does, or apply in a window).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tasks.aws.change_set import Change
from tasks.aws.template import logical_name
from tasks.model import Router

VPN_TYPE = "AWS::EC2::VPNConnection"
PREFIX = "VpnConnection"
TUNNEL_ONLY = {"VpnTunnelOptionsSpecifications", "Tags"}
HARMLESS = {"Tags"}


def _router(logical_id: str, routers: Sequence[Router]) -> Router | None:
    part = logical_id.removeprefix(PREFIX)
    return next((r for r in routers if logical_name(r.name) == part), None)


def tunnel_warnings(changes: Iterable[Change], routers: Sequence[Router] = ()) -> list[str]:
    """One line per change that takes tunnels down; empty when none does."""
    warnings = []
    for change in changes:
        if change.resource_type != VPN_TYPE or change.action == "Add":
            continue
        router = _router(change.logical_id, routers)
        who = f"{change.logical_id} ({router.name}, {router.role})" if router else change.logical_id
        first = (
            "; drain the primary first (prepend on it, as failover.py's drain does) or apply "
            "in a maintenance window"
            if router is None or router.role == "primary"
            else ""
        )
        props = set(change.properties)
        if change.action == "Remove":
            what = "deletes the VPN connection: both tunnels go down for good"
        elif change.replacement in ("True", "Conditional"):
            what = (
                "replaces the VPN connection: BOTH tunnels go down and come back with new "
                "outside addresses and keys (refresh with 'aws.py inventory', redeploy)"
            )
        elif props and props <= HARMLESS:
            continue
        elif props and props <= TUNNEL_ONLY:
            what = (
                "modifies tunnel options (ModifyVpnTunnelOptions): each modified tunnel goes "
                "down while it changes"
            )
        else:
            named = ", ".join(sorted(props - HARMLESS)) or "connection properties"
            what = (
                f"changes {named} (ModifyVpnConnection / ModifyVpnConnectionOptions): BOTH "
                "tunnels of the connection go down together"
            )
        warnings.append(f"WARNING {who}: {what}{first}")
    return warnings
