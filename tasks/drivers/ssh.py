"""SSH sessions for drivers: netmiko parameters from the Nornir host, errors made ours.

Connection settings come from the inventory the Nornir way (``hostname``, ``port``,
``username``, ``password`` and ``connection_options.netmiko.extras``), so keys, known-hosts
files and timeouts are set per host or group, not in code. A password is resolved from the
``NORNIR_PASSWORD`` environment variable when the inventory has none (never from git).
"""

from __future__ import annotations

import ipaddress
import logging
import os
from typing import Any

from netmiko import ConnectHandler
from netmiko.base_connection import BaseConnection
from netmiko.exceptions import (
    NetmikoTimeoutException,
    ReadTimeout,
)
from nornir.core.inventory import Host
from paramiko.ssh_exception import SSHException

from tasks.drivers.base import ConnectError, DriverError
from tasks.secrets import remember_secret

log = logging.getLogger(__name__)

CONNECTION = "netmiko"


def netmiko_params(host: Host, device_type: str) -> dict[str, Any]:
    """ConnectHandler keyword arguments for ``host`` (inventory extras win over defaults)."""
    options = host.get_connection_parameters(CONNECTION)
    password = options.password or os.environ.get("NORNIR_PASSWORD")
    if password:
        remember_secret(password)
    params: dict[str, Any] = {
        "device_type": device_type,
        "host": options.hostname or host.name,
        "username": options.username,
        "password": password or "",
        "port": options.port or 22,
        "conn_timeout": 10,
        "auth_timeout": 10,
        "banner_timeout": 10,
        "fast_cli": False,
        # Host keys are checked by default: a router's key must be known (the user's
        # ~/.ssh/known_hosts, or alt_key_file in the inventory), else nothing is sent to it.
        # Without this, an address that moved to another device got that device the config.
        "ssh_strict": True,
        "system_host_keys": True,
    }
    params.update(options.extras or {})
    params["device_type"] = device_type
    return params


#: RFC 5737 documentation ranges: example inventories use them, and nothing real lives there.
DOCUMENTATION_NETS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


def refuse_documentation_address(name: str, address: str) -> None:
    """Never send a packet to an example address: say how to use the inventory instead."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return
    if any(ip in net for net in DOCUMENTATION_NETS):
        raise ConnectError(
            f"{name}: hostname {address} is a documentation address (RFC 5737), an example "
            "only; render offline with --render-only, or point the inventory at the router"
        )


def open_session(
    params: dict[str, Any], session_class: type[BaseConnection] | None = None
) -> BaseConnection:
    """The one place a netmiko session is opened: ``session_class`` (a subclass of netmiko's
    class for the device type) or, by default, netmiko's own class for ``device_type``."""
    if session_class is None:
        return ConnectHandler(**params)
    return session_class(**params)


def send(conn: BaseConnection, command: str, host: str, read_timeout: float = 30.0) -> str:
    """Run one command, mapping transport failures to :class:`DriverError`."""
    try:
        return str(conn.send_command(command, read_timeout=read_timeout))
    except (ReadTimeout, NetmikoTimeoutException, SSHException, OSError) as exc:
        raise DriverError(
            f"{host}: command {command.split()[0]!r} failed: {first_line(exc)}"
        ) from exc


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
