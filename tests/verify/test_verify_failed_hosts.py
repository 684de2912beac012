"""verify tells the truth in Nornir's own fields: a router it cannot read is a failed host.

Real sockets on loopback (127.0.0.N): a port with nothing listening (connection refused), so the SSH
login really fails; no router is needed for that.
"""

from __future__ import annotations

import socket
from pathlib import Path

from inventory_factory import base_hosts, write_inventory

from tasks.inventory import load
from tasks.verify import run_verify, verify_router


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_router_is_in_failed_hosts_and_a_could_not_verify_check(
    tmp_path: Path,
) -> None:
    hosts = base_hosts()
    port = _closed_port()
    for index, name in enumerate(hosts, start=1):
        hosts[name].update({"hostname": f"127.0.0.{index}", "port": port})
    nr = load(write_inventory(tmp_path / "inv", hosts))

    results = nr.run(task=verify_router, name="verify", on_failed=True)
    assert set(results.failed_hosts) == set(hosts)
    assert "unreachable" in str(results["r1"][0].exception)

    nr.data.reset_failed_hosts()
    report = run_verify(nr)
    collect = [c for c in report.checks if c.check == "collect"]
    assert sorted(c.target for c in collect) == sorted(hosts)
    assert all(c.status == "error" and "ConnectError" in c.detail for c in collect)
    assert report.exit_code == 3  # could not verify
