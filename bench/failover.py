#!/usr/bin/env python3
"""Failover figures on the lab over several runs (median and max) against the issue's targets.

Run as root from the repository root: ``.venv/bin/python bench/failover.py [--runs N]
[--hard-runs M]``. Targets: drain and fail-back lose 0 probes at 50/s; a hard failure (underlay
cut) converges within holdtime + 2 s. Holds the lab session lock; brings the lab up configured
when it is not, and down again only if it brought it up. Exit 0 when every run met the targets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks import PROJECT_ROOT
from tasks.failover import Bounds, FailoverOptions, FailoverReport, run_failover
from tasks.inventory import load, router_of
from tasks.lab import control
from tasks.lab.topology import load_topology

LAB_CONFIG = PROJECT_ROOT / "lab" / "config.yaml"


def runs(mode: str, count: int, rate: float, hold: float) -> list[FailoverReport]:
    reports = []
    for i in range(count):
        options = FailoverOptions(
            mode=mode,  # type: ignore[arg-type]
            hold=hold,
            rate=rate,
            bounds=Bounds(max_switch_s=5.0, max_lost=0, hard_margin_s=2.0),
            aws=False,
            progress=lambda _m: None,
        )
        report = run_failover(load(LAB_CONFIG), options)
        print(f"  {mode} run {i + 1}/{count}: {report.outcome}", file=sys.stderr, flush=True)
        reports.append(report)
    return reports


def line(label: str, values: list[float | None], unit: str = "s") -> str:
    got = [v for v in values if v is not None]
    if not got:
        return f"  {label:<28} no data"
    fmt: Callable[[float], str] = (lambda v: f"{v:.3f}{unit}") if unit else (lambda v: f"{v:g}")
    return f"  {label:<28} median {fmt(statistics.median(got))}  max {fmt(max(got))}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="drain runs (5)")
    parser.add_argument("--hard-runs", type=int, default=2, help="hard-failure runs, ~40 s each")
    parser.add_argument("--rate", type=float, default=50.0, help="probes per second (50)")
    parser.add_argument("--hold", type=float, default=2.0, help="hold per run, seconds (2)")
    args = parser.parse_args()
    ok = True
    with control.session_lock():
        topo = load_topology()
        built = control.up(topo, configured=True)["action"] == "built"
        try:
            drains = runs("drain", args.runs, args.rate, args.hold)
            hards = runs("hard", args.hard_runs, args.rate, args.hold)
        finally:
            if built:
                control.down(topo.prefix, topo.runtime_dir)

    def sw(reports: list[FailoverReport], phase: str, attr: str) -> list[float | None]:
        out: list[float | None] = []
        for r in reports:
            p = r.phase(phase)
            out.append(getattr(p.switch, attr) if p and p.switch else None)
        return out

    print(f"failover on the lab, {args.rate:g} probes/s")
    if drains:
        lost = [v or 0 for v in sw(drains, "drain", "lost") + sw(drains, "maintenance", "lost")]
        back = [v or 0 for v in sw(drains, "restore", "lost")]
        passed = sum(r.outcome == "passed" for r in drains)
        ok &= passed == len(drains) and max(lost + back) == 0
        print(f"drain ({len(drains)} runs, {passed} passed; target 0 probes lost):")
        print(line("drain -> VGW on backup", sw(drains, "drain", "vgw_s")))
        print(line("drain -> traffic on backup", sw(drains, "drain", "traffic_s")))
        print(line("drain probes lost", [float(v) for v in lost], unit=""))
        print(line("fail-back -> VGW on primary", sw(drains, "restore", "vgw_s")))
        print(line("fail-back -> traffic", sw(drains, "restore", "traffic_s")))
        print(line("fail-back probes lost", [float(v) for v in back], unit=""))
    if hards:
        conv = sw(hards, "cut", "traffic_s")
        holdtime = max(router_of(h).bgp.holdtime for h in load(LAB_CONFIG).inventory.hosts.values())
        limit = holdtime + 2.0
        ok &= all(r.outcome == "passed" for r in hards)
        print(f"hard failure ({len(hards)} runs; target converged <= holdtime + 2 s = {limit:g}s):")
        print(line("cut -> VGW on backup", sw(hards, "cut", "vgw_s")))
        print(line("cut -> traffic on backup", conv))
        print(line("cut probes lost", [float(v or 0) for v in sw(hards, "cut", "lost")], ""))
        print(line("heal -> traffic on primary", sw(hards, "restore", "traffic_s")))
        print(line("heal probes lost", [float(v or 0) for v in sw(hards, "restore", "lost")], ""))
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
