"""The lab's observer (kind ``lab``): the lab plays AWS, so it can see the VGW's choice.

Registered with the product's registry (:mod:`tasks.observers`) when ``tasks.lab`` is imported
and through the ``vpc_ha.observers`` entry point, so product code never imports the lab.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tasks.model import Router
from tasks.observers import register
from tasks.observers.base import ProbeMeasurement, source_checks
from tasks.verify.report import Check

PROBE_TRIES = 3
BASIS = "lab UDP probes (sequence numbers, NAT address seen by the internet host)"


class LabObserver:
    """The lab's VGW best path, its VPC host's probes, its internet host's receiver."""

    kind = "lab"
    sees_vgw = True
    basis = BASIS

    def __init__(
        self, conf: Mapping[str, Any] | None = None, hosts: Any = None, lab: Any | None = None
    ) -> None:
        if lab is None:
            from tasks.lab.handle import Lab

            lab = Lab()
        self.lab = lab

    def data_plane(self, routers: dict[str, Router]) -> list[Check]:
        source = None
        for _ in range(PROBE_TRIES):
            source = self.lab.probe_source()
            if source:
                break
        return source_checks(routers, source, "probe")

    def vgw_choice(self) -> str | None:
        best = self.lab.vgw_best_path()
        return best["router"] if best else None

    def measure(self, rate: float, duration: float) -> ProbeMeasurement:
        nat = {r: self.nat_address(r) for r in self.lab.routers}
        return ProbeMeasurement(self.lab.probe_stream(rate=rate, duration=duration), nat, BASIS)

    def nat_address(self, router: str) -> str:
        return str(self.lab.nat_address(router))

    def cut_underlay(self, router: str) -> None:
        self.lab.cut_underlay(router)

    def restore_underlay(self, router: str) -> None:
        self.lab.restore_underlay(router)

    def break_isp(self, router: str) -> None:
        self.lab.break_isp(router)

    def restore_isp(self, router: str) -> None:
        self.lab.restore_isp(router)

    def close(self) -> None:
        """Nothing to stop: streams are stopped by their measurements."""


def needs_root(conf: Mapping[str, Any]) -> str | None:
    """The lab's probes run in its network namespaces (setns): refused without root."""
    from tasks.lab.preflight import rerun_as_root

    if os.geteuid() == 0:
        return None
    return (
        "needs root: its probes run inside the lab's network namespaces; "
        f"run as root: {rerun_as_root()}"
    )


register("lab", LabObserver, requires=needs_root)
