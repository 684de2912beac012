"""Nornir connection plugin ``vpcha``: the one SSH session a run keeps per router.

Nornir keeps a host's open connections in ``host.connections`` and closes them with
``nr.close_connections()`` (what ``with InitNornir(...) as nr`` does on exit), so every task of
one runbook run that talks to a router (deploy's apply and its post-checks, failover's precheck,
lock, drain, restore polls and postcheck, verify) reuses one login instead of opening its own.

Not nornir_netmiko's plugin: its ``close()`` is netmiko's ``disconnect()``, which idles for
seconds on a Linux shell and sends an extra ``exit`` that a root prompt on VyOS misreads, and it
has no device type for FRR routers. Connection settings still come from the inventory's
``connection_options.netmiko`` (see :func:`tasks.drivers.ssh.netmiko_params`), so an existing
inventory keeps working; Nornir's ``ssh.config_file`` is honoured when it exists.

Drivers ask :func:`session` for the host's session; they never close it (their ``close()``
releases what they hold on it, such as a change lock), except :func:`discard` after a transport
error, since a session that failed mid-command may hold half an answer.
"""

from __future__ import annotations

import logging
import os
import weakref
from typing import Any

from netmiko.base_connection import BaseConnection
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout
from nornir.core.configuration import Config
from nornir.core.inventory import Host
from nornir.core.plugins.connections import ConnectionPluginRegister
from paramiko.ssh_exception import BadHostKeyException, SSHException

from tasks.drivers.base import ConnectError
from tasks.drivers.ssh import first_line, netmiko_params, open_session, refuse_documentation_address

log = logging.getLogger(__name__)

VPCHA = "vpcha"

#: Keys of ``extras`` that are ours, not netmiko's: the netmiko class to use (VyOS has its own
#: subclass) and the inventory name for messages.
SESSION_CLASS = "vpcha_session_class"
LABEL = "vpcha_label"


class VpcHaConnection:
    """One router's netmiko session, opened with the toolkit's host-key policy and errors."""

    def __init__(self) -> None:
        self.connection: BaseConnection | None = None
        self.device_type = ""

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        """Log in; every way it can fail becomes :class:`ConnectError` naming the router."""
        params = dict(extras or {})
        session_class = params.pop(SESSION_CLASS, None)
        label = str(params.pop(LABEL, hostname))
        params.update(
            host=hostname,
            username=username,
            password=password or "",
            port=port or 22,
            device_type=platform,
        )
        config_file = configuration.ssh.config_file if configuration is not None else None
        if config_file and "ssh_config_file" not in params:
            path = os.path.expanduser(config_file)
            if os.path.isfile(path):
                params["ssh_config_file"] = path
        refuse_documentation_address(label, str(hostname))
        self.device_type = str(platform)
        self.connection = _login(params, session_class, f"{label} ({hostname}:{params['port']})")
        _OPEN.add(self)

    def alive(self) -> bool:
        """The transport is up and the shell channel open (sends nothing to the router)."""
        conn = self.connection
        channel = getattr(conn, "remote_conn", None)
        transport = getattr(conn, "remote_conn_pre", None)
        transport = transport.get_transport() if transport is not None else None
        return bool(
            channel is not None
            and not getattr(channel, "closed", True)
            and transport is not None
            and transport.is_active()
        )

    def close(self) -> None:
        """End the session at once: close the channel and the transport (no ``exit`` dance)."""
        conn, self.connection = self.connection, None
        if conn is None:
            return
        for thing in (getattr(conn, "remote_conn", None), getattr(conn, "remote_conn_pre", None)):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # closing twice or a dead link is fine
                    log.debug("close failed", exc_info=True)


ConnectionPluginRegister.register(VPCHA, VpcHaConnection)

#: Every session this process has open: paramiko's transport thread keeps a session alive
#: after its Nornir object is gone, so the end of a run closes them all (:func:`close_all`).
_OPEN: weakref.WeakSet[VpcHaConnection] = weakref.WeakSet()


def close_all() -> None:
    """Close every router session this process opened (a runbook's end; a test's end)."""
    for plugin in list(_OPEN):
        plugin.close()
    _OPEN.clear()


def session(
    host: Host,
    device_type: str,
    session_class: type[BaseConnection] | None = None,
    configuration: Config | None = None,
) -> BaseConnection:
    """The host's session for this run: the open one when it is alive, else a new login."""
    plugin = host.connections.get(VPCHA)
    if isinstance(plugin, VpcHaConnection):
        if plugin.alive() and plugin.device_type == device_type:
            return plugin.connection  # type: ignore[return-value]
        log.debug("%s: session gone or of another kind; logging in again", host.name)
        discard(host)
    opened = host.open_connection(
        VPCHA, configuration or Config(), **_open_args(host, device_type, session_class)
    )
    assert isinstance(opened, VpcHaConnection) and opened.connection is not None
    return opened.connection


def own_session(
    host: Host, device_type: str, session_class: type[BaseConnection] | None = None
) -> VpcHaConnection:
    """A session of its own, outside the run's shared one: for a poller in another thread
    (a netmiko session answers one command at a time). The caller closes it."""
    own = VpcHaConnection()
    own.open(**_open_args(host, device_type, session_class), configuration=Config())
    return own


def _open_args(
    host: Host, device_type: str, session_class: type[BaseConnection] | None
) -> dict[str, Any]:
    """``open()``'s arguments from the inventory's netmiko options (what users configure)."""
    params = netmiko_params(host, device_type)
    extras = {k: v for k, v in params.items() if k not in ("host", "username", "password", "port")}
    extras.update({SESSION_CLASS: session_class, LABEL: host.name})
    return {
        "hostname": str(params["host"]),
        "username": params["username"],
        "password": params["password"],
        "port": int(params["port"]),
        "platform": device_type,
        "extras": extras,
    }


def discard(host: Host) -> None:
    """Close and forget the host's session (after a transport error, or to log in afresh)."""
    if VPCHA in host.connections:
        try:
            host.close_connection(VPCHA)
        except Exception:
            log.debug("%s: close failed", host.name, exc_info=True)
            host.connections.pop(VPCHA, None)


def _login(
    params: dict[str, Any], session_class: type[BaseConnection] | None, where: str
) -> BaseConnection:
    try:
        return open_session(params, session_class)
    except NetmikoAuthenticationException as exc:
        raise ConnectError(
            f"{where}: authentication failed for user {params['username']!r}; check the "
            "inventory username and key/password"
        ) from exc
    except BadHostKeyException as exc:
        raise ConnectError(_KEY_CHANGED.format(where=where)) from exc
    except NetmikoTimeoutException as exc:
        # netmiko re-raises every paramiko SSHException from connect() as a timeout; the
        # host-key verdicts survive only as the exception it was raised while handling.
        cause = exc.__context__
        if isinstance(cause, BadHostKeyException):
            raise ConnectError(_KEY_CHANGED.format(where=where)) from cause
        if isinstance(cause, SSHException) and "not found in known_hosts" in str(cause):
            raise ConnectError(
                f"{where}: host key unknown and strict host-key checking is on; add the "
                "router's verified key to the known-hosts file"
            ) from cause
        raise ConnectError(f"{where}: unreachable ({first_line(exc)})") from exc
    except ReadTimeout as exc:
        raise ConnectError(f"{where}: logged in, but no prompt came ({first_line(exc)})") from exc
    except (SSHException, OSError, ValueError) as exc:
        raise ConnectError(f"{where}: SSH failed: {first_line(exc)}") from exc


_KEY_CHANGED = (
    "{where}: host key changed (possible man-in-the-middle); verify the router's key and "
    "update the known-hosts file before deploying"
)
