"""The handle tests and runbooks use on a running lab (what the ``lab`` pytest fixture yields)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from tasks.lab import charon, control, frr, netns, probes, start, status
from tasks.lab.box import Box, all_boxes, router_box
from tasks.lab.topology import LabError, Plan, Topology, load_topology

CUT_TABLE = "vha_cut"
ISP_TABLE = "vha_isp_break"
#: The ISP's interface toward the internet host (tasks/lab/plumb.py).
ISP_UPSTREAM = "inet0"


class Lab:
    """A running lab.

    Attributes:
        routers: inventory host names of the customer routers (``["r1", "r2"]``).
        config_file: the Nornir config of this lab's inventory (absolute paths).
    """

    def __init__(self, topology: Topology | None = None) -> None:
        self.topology = topology or load_topology()
        self.plan: Plan = Plan(self.topology)
        self.routers: list[str] = self.plan.names
        self.config_file: Path = self.plan.runtime / "nornir.yaml"

    # ---- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def up(cls, topology: Topology | None = None, configured: bool = True) -> Lab:
        lab = cls(topology)
        control.up(lab.topology, configured=configured)
        return lab

    def down(self) -> dict[str, Any]:
        return control.down(self.topology.prefix, self.plan.runtime)

    # ---- access ------------------------------------------------------------------------------

    def box(self, name: str) -> Box:
        """The box of a router (``r1``) or of any lab namespace running daemons."""
        if name in self.routers:
            return router_box(self.plan, name)
        for box in all_boxes(self.plan):
            if box.ns == name:
                return box
        raise LabError(f"{name!r} is neither a lab router ({self.routers}) nor a lab box")

    def ssh_logins(self) -> dict[str, int]:
        """Logins each router's sshd has accepted since the lab came up (its own log): what
        "one SSH session per router per run" is measured by."""
        counts = {}
        for name in self.routers:
            log = router_box(self.plan, name).log_dir / "sshd.log"
            text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
            counts[name] = text.count("Accepted publickey for ")
        return counts

    def exec(
        self, target: str, argv: Sequence[str], input: str | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess:
        """Run ``argv`` on a router or in a lab namespace (boxes: their /etc, /run, hostname)."""
        if target in self.routers or target in {b.ns for b in all_boxes(self.plan)}:
            return self.box(target).run(argv, input=input, timeout=timeout)
        if target not in self.plan.namespaces:
            raise LabError(f"{target!r} is not a lab router or namespace")
        return subprocess.run(
            ["ip", "netns", "exec", target, *argv],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def vtysh(self, router: str, command: str) -> str:
        return frr.vtysh(self.box(router), command)

    def swanctl_list_sas(self, router: str) -> str:
        """``swanctl --list-sas`` of every tunnel's charon on the router, concatenated."""
        box = self.box(router)
        return "".join(
            charon.swanctl(box, t.name, "--list-sas") for t in self.plan.router(router).tunnels
        )

    @cached_property
    def models(self) -> dict[str, Any]:
        """Validated :class:`tasks.model.Router` per router, from the lab inventory."""
        return start.router_models(self.config_file)

    # ---- traffic -----------------------------------------------------------------------------

    def probe_source(self, timeout: float = 1.0) -> str | None:
        return probes.probe_source(self.plan, timeout=timeout)

    def probe_stream(self, rate: float = 50, duration: float = 120) -> probes.ProbeStream:
        return probes.ProbeStream(self.plan, rate=rate, duration=duration)

    def checkip(self, port: int = 8080) -> Any:
        """A "what is my address" HTTP service on the internet host (``with ... as url``)."""
        from tasks.lab.checkip import CheckIp

        return CheckIp(self.plan, port)

    def nat_address(self, router: str) -> str:
        """The router's WAN address: what the internet host sees after its NAT."""
        return str(self.plan.router(router).wan)

    def vgw_best_path(self) -> dict[str, str] | None:
        """``{"router", "tunnel", "nexthop"}`` the VGW uses for 0.0.0.0/0, or None."""
        return start.vgw_best(self.plan)

    # ---- faults and config -------------------------------------------------------------------

    def cut_underlay(self, router: str) -> None:
        """Drop every IP packet to or from the router's WAN address on the ISP bridge.

        The router's link stays up (no carrier signal): IKE/ESP and the tunnel's BGP die
        silently, as when a path through the internet fails; the VGW notices at hold-time.
        """
        self._cut(router, self.nat_address(router))

    def restore_underlay(self, router: str) -> None:
        self._restore(router)

    def break_isp(self, router: str) -> None:
        """The ISP's upstream fails for this customer, beyond the first hop: inside the ISP,
        traffic routed between the router's WAN address and the internet is dropped.

        The ISP's own address still answers (its replies are not forwarded) and the path to
        the AWS endpoints is bridged, not routed, so the tunnels and BGP stay up: only the
        router's ISP health monitor can notice.
        """
        wan = self.nat_address(router)
        drops = [
            f'iifname "{ISP_UPSTREAM}" ip daddr {wan}',
            f'oifname "{ISP_UPSTREAM}" ip saddr {wan}',
        ]
        self._drop("ip", f"{ISP_TABLE}_{router}", "forward", drops,
                   f"break the ISP path of {router} ({wan})")  # fmt: skip

    def restore_isp(self, router: str) -> None:
        self._undrop("ip", f"{ISP_TABLE}_{router}")

    def cut_aws_endpoint(self, router: str, tunnel: str) -> None:
        """An AWS-side outage of one tunnel: its VGW endpoint's outside address goes silent
        (an endpoint replacement or an AWS failure), the router and its ISP stay up."""
        plan = next(t for t in self.plan.router(router).tunnels if t.name == tunnel)
        self._cut(f"{router}_{tunnel}", plan.aws_outside)

    def restore_aws_endpoint(self, router: str, tunnel: str) -> None:
        self._restore(f"{router}_{tunnel}")

    def _cut(self, key: str, address: object) -> None:
        drops = [f"ip saddr {address}", f"ip daddr {address}"]
        self._drop("bridge", f"{CUT_TABLE}_{key}", "prerouting", drops, f"cut {key} ({address})")

    def _restore(self, key: str) -> None:
        self._undrop("bridge", f"{CUT_TABLE}_{key}")

    def _drop(self, family: str, table: str, hook: str, matches: list[str], what: str) -> None:
        """A table of its own in the ISP namespace that drops what ``matches`` select."""
        rules = "".join(f"  {match} drop\n" for match in matches)
        chain = f"  type filter hook {hook} priority -200; policy accept;\n{rules}"
        text = f"table {family} {table} {{\n chain lab_fault {{\n{chain} }}\n}}\n"
        proc = self.exec(self.plan.isp_ns, ["nft", "-f", "-"], input=text)
        if proc.returncode != 0:
            raise LabError(f"{what}: {proc.stderr.strip()}")

    def _undrop(self, family: str, table: str) -> None:
        self.exec(self.plan.isp_ns, ["nft", "delete", "table", family, table])

    def configure(self, router: str) -> None:
        """Render the router's ``frr`` templates and apply them as a deploy would."""
        start.configure_router(self.plan, self.models[router])

    def factory_reset(self, router: str) -> None:
        """Remove BGP, IPsec and NAT config: back to factory state (daemons keep running)."""
        start.factory_reset_router(self.plan, self.models[router])

    def wait_ready(self, configured: bool = True, timeout: float = 60) -> None:
        start.wait_ready(self.plan, configured=configured, timeout=timeout)

    def status(self) -> dict[str, Any]:
        return status.collect(self.plan)

    def namespaces(self) -> list[str]:
        return netns.existing(self.topology.prefix)
