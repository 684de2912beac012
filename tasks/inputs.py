"""What a run needs from outside the inventory files, checked before the first router is touched.

The inventory model checks what the files say; this checks what they point at: that each
router's management address is one a packet may be sent to and resolves, and (for a deploy) that
every pre-shared key reference resolves now. Found one at a time during a deploy, any of these
would stop it after the backups were already changed; found here, the run refuses with every
problem at once (exit 2), naming host, field and fix.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from nornir.core.inventory import Host

from tasks.drivers.ssh import DOCUMENTATION_NETS
from tasks.errors import InventoryError, InventoryProblem, SecretError
from tasks.inventory import router_of


def address_problem(host: Host) -> InventoryProblem | None:
    """The management address is an address a run may connect to, or resolves to one."""
    address = host.hostname or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        try:
            socket.getaddrinfo(address, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            return InventoryProblem(host.name, "hostname", address,
                                    f"does not resolve ({exc}); give the router's management "
                                    "address or a name DNS or /etc/hosts knows")  # fmt: skip
        return None
    if any(ip in net for net in DOCUMENTATION_NETS):
        return InventoryProblem(host.name, "hostname", address,
                                "a documentation address (RFC 5737), an example only: point "
                                "the inventory at the router, or render offline with "
                                "--render-only")  # fmt: skip
    return None


def key_problems(host: Host) -> list[InventoryProblem]:
    """Every tunnel key reference of ``host`` resolves (values are only remembered for
    masking, never returned)."""
    problems = []
    for index, tunnel in enumerate(router_of(host).tunnels):
        try:
            tunnel.psk.resolve()
        except SecretError as exc:
            problems.append(
                InventoryProblem(host.name, f"tunnels[{index}].psk", tunnel.psk.describe(),
                                 str(exc))
            )  # fmt: skip
    return problems


def check_inputs(hosts: Iterable[Host], keys: bool = False) -> None:
    """Raise :class:`InventoryError` with every address (and, with ``keys``, key) problem.

    Runbooks that connect call this after loading the inventory and before any device.
    """
    problems: list[InventoryProblem] = []
    for host in hosts:
        problem = address_problem(host)
        if problem is not None:
            problems.append(problem)
        if keys:
            problems.extend(key_problems(host))
    if problems:
        raise InventoryError(problems)
