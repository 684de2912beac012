#!/usr/bin/env python3
"""What a VyOS session costs against the scripted device: the driver against netmiko's way.

Run from the repository root: ``.venv/bin/python bench/vyos_scripted.py [--runs N]``. Loopback
only: a scripted VyOS 1.4 (``tests/drivers/scripted_vyos.py``, not a real router) on 127.0.0.1,
with the tests' netmiko settings (``global_delay_factor`` 0.1, ``fast_cli``). Times, N times:

- ``driver``: :class:`VyosDriver` ``open`` (its session set-up waits for the login prompt)
  and ``apply`` of r1's rendered 1.4 candidate (every line read to its prompt, woken by the
  channel), then ``close``;
- ``netmiko``: what the driver did before: netmiko's own ``vyos`` set-up (reads until 2 s of
  silence) and ``send_command(expect_string=...)`` per line (polls every 10-25 ms), for the
  same lines as ``apply`` sends, then ``exit discard``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "drivers")]

from inventory_factory import PSK_ENV, base_hosts, write_inventory  # noqa: E402
from netmiko import ConnectHandler  # noqa: E402
from nornir.core.inventory import Host  # noqa: E402
from scripted_vyos import Script, ScriptedVyos  # noqa: E402

from tasks.drivers import driver_for  # noqa: E402
from tasks.drivers.base import LocalChangeLock  # noqa: E402
from tasks.inventory import load  # noqa: E402
from tasks.lab.vyos.cli import FACTORY  # noqa: E402
from tasks.platforms.vyos.driver import VyosDriver  # noqa: E402
from tasks.render import render_router  # noqa: E402

FAST = {"conn_timeout": 3, "auth_timeout": 3, "banner_timeout": 3, "fast_cli": True,
        "global_delay_factor": 0.1, "ssh_strict": False, "system_host_keys": False}  # fmt: skip


def host_for(directory: Path, port: int) -> Host:
    hosts = base_hosts("vyos")
    r1 = hosts["r1"]
    r1.update(hostname="127.0.0.1", port=port, username="vyos", password="vyos-test-pass")
    r1["data"]["vyos_syntax"] = "1.4"
    r1["connection_options"] = {"netmiko": {"extras": FAST}}
    return load(write_inventory(directory, hosts, defaults={"data": {}})).inventory.hosts["r1"]


def run_driver(
    server: ScriptedVyos, host: Host, candidate: dict[str, str]
) -> tuple[float, float, int]:
    server.reset(running=FACTORY)
    begun = time.perf_counter()
    driver = driver_for(host)
    assert isinstance(driver, VyosDriver)
    driver.open()
    opened = time.perf_counter()
    server.commands.clear()
    driver.apply(candidate, confirm_timeout=120)
    driver.close()
    return opened - begun, time.perf_counter() - opened, len(server.commands)


def run_netmiko(server: ScriptedVyos, lines: list[str]) -> tuple[float, float, int]:
    server.reset(running=FACTORY)
    begun = time.perf_counter()
    conn = ConnectHandler(device_type="vyos", host="127.0.0.1", port=server.port,
                          username="vyos", password="vyos-test-pass", **FAST)  # fmt: skip
    opened = time.perf_counter()
    server.commands.clear()
    prompt = r"vyos@vyos(?::[^\n]*)?[$#]\s*$"
    for line in ["show configuration commands", "configure", *lines, "exit discard"]:
        conn.send_command(line, expect_string=prompt, read_timeout=30, strip_prompt=False)
    sent = len(server.commands)
    conn.paramiko_cleanup()
    return opened - begun, time.perf_counter() - opened, sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # The scripted server's side of a closed session ("Connection reset by peer"): not news.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    for var in PSK_ENV.values():
        os.environ.setdefault(var, f"bench-{var.lower()}-0000")
    with tempfile.TemporaryDirectory() as tmp, ScriptedVyos(Script(running=FACTORY)) as server:
        LocalChangeLock.DIRECTORY = Path(tmp) / "locks"  # never the machine's lock directory
        host = host_for(Path(tmp), server.port)
        candidate = render_router(host.data["router"], reveal_secrets=True)
        lines = [x for x in candidate["config.set"].splitlines() if x.startswith("set ")]
        print(f"scripted VyOS 1.4 on 127.0.0.1:{server.port}, {len(lines)} set lines, "
              f"{args.runs} runs each")  # fmt: skip
        for name, run in (("driver", lambda: run_driver(server, host, candidate)),
                          ("netmiko", lambda: run_netmiko(server, lines))):  # fmt: skip
            figures = [run() for _ in range(args.runs)]
            setup = statistics.median(f[0] for f in figures)
            talk = statistics.median(f[1] for f in figures)
            commands = figures[0][2]
            print(
                f"{name:8s} open {setup:6.3f} s   {commands:3d} commands {talk:6.3f} s "
                f"({1000 * talk / commands:5.1f} ms each)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
