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
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)
from nornir.core.inventory import Host
from paramiko.ssh_exception import BadHostKeyException, SSHException

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


def refuse_documentation_address(host: Host, address: str) -> None:
    """Never send a packet to an example address: say how to use the inventory instead."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return
    if any(ip in net for net in DOCUMENTATION_NETS):
        raise ConnectError(
            f"{host.name}: hostname {address} is a documentation address (RFC 5737), an example "
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


def connect(
    host: Host, device_type: str, session_class: type[BaseConnection] | None = None
) -> BaseConnection:
    """Open a netmiko session, turning every way it can fail into :class:`ConnectError`."""
    params = netmiko_params(host, device_type)
    where = f"{host.name} ({params['host']}:{params['port']})"
    refuse_documentation_address(host, str(params["host"]))
    try:
        return open_session(params, session_class)
    except NetmikoAuthenticationException as exc:
        raise ConnectError(
            f"{where}: authentication failed for user {params['username']!r}; check the "
            "inventory username and key/password"
        ) from exc
    except BadHostKeyException as exc:
        raise ConnectError(
            f"{where}: host key changed (possible man-in-the-middle); verify the router's key "
            "and update the known-hosts file before deploying"
        ) from exc
    except NetmikoTimeoutException as exc:
        # netmiko re-raises every paramiko SSHException from connect() as a timeout; the
        # host-key verdicts survive only as the exception it was raised while handling.
        cause = exc.__context__
        if isinstance(cause, BadHostKeyException):
            raise ConnectError(
                f"{where}: host key changed (possible man-in-the-middle); verify the router's "
                "key and update the known-hosts file before deploying"
            ) from cause
        if isinstance(cause, SSHException) and "not found in known_hosts" in str(cause):
            raise ConnectError(
                f"{where}: host key unknown and strict host-key checking is on; add the "
                "router's verified key to the known-hosts file"
            ) from cause
        raise ConnectError(f"{where}: unreachable ({_first_line(exc)})") from exc
    except ReadTimeout as exc:
        raise ConnectError(f"{where}: logged in, but no prompt came ({_first_line(exc)})") from exc
    except (SSHException, OSError, ValueError) as exc:
        raise ConnectError(f"{where}: SSH failed: {_first_line(exc)}") from exc


def send(conn: BaseConnection, command: str, host: str, read_timeout: float = 30.0) -> str:
    """Run one command, mapping transport failures to :class:`DriverError`."""
    try:
        return str(conn.send_command(command, read_timeout=read_timeout))
    except (ReadTimeout, NetmikoTimeoutException, SSHException, OSError) as exc:
        raise DriverError(
            f"{host}: command {command.split()[0]!r} failed: {_first_line(exc)}"
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
