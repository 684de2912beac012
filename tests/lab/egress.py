"""Run a runbook with every outbound connect recorded (strace) and refused outside the lab.

Two layers, because a test of "no packet leaves" must not itself send one when it fails:

- an audit hook (``sys.addaudithook``) in the runbook's own interpreter sees every Python
  ``socket.connect``/``sendto``/``sendmsg`` before the system call and *refuses* (raises
  ``OSError``) any destination outside the allowed networks, recording it; it also records
  every ``getaddrinfo`` of a name that is not an address (a DNS query would leave the machine);
- ``strace -f -e trace=connect,sendto,sendmsg`` around the whole process tree records what
  reached the kernel, including subprocesses and C code that Python's hooks cannot see.

Usage: ``python tests/lab/egress.py REPORT CIDR[,CIDR...] RUNBOOK [ARGS...]``; the guard's
findings are appended to REPORT, one line each.
"""

from __future__ import annotations

import ipaddress
import runpy
import socket
import sys


def main() -> None:
    report, cidrs, runbook, *args = sys.argv[1:]
    allowed = [ipaddress.ip_network(c) for c in cidrs.split(",")]

    def outside(address: object) -> str | None:
        if not isinstance(address, tuple) or not address:
            return None  # AF_UNIX paths, netlink pids
        host = str(address[0])
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return host  # a name: resolving it would query DNS
        return None if any(ip in net for net in allowed) else host

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[-1]
            if isinstance(sock, socket.socket) and sock.family not in (
                socket.AF_INET,
                socket.AF_INET6,
            ):
                return
            target = outside(address)
        elif event == "socket.getaddrinfo":
            target = outside((args[0],)) if args[0] not in (None, "", b"") else None
        else:
            return
        if target is not None:
            with open(report, "a", encoding="utf-8") as out:
                out.write(f"{event} {target}\n")
            raise OSError(f"egress guard: {event} to {target} refused (outside the lab)")

    sys.addaudithook(hook)
    sys.argv = [runbook, *args]
    runpy.run_path(runbook, run_name="__main__")


if __name__ == "__main__":
    main()
