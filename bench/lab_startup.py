#!/usr/bin/env python3
"""Cold start and teardown times of the lab, 2 and 4 routers, against the targets.

Run as root from the repository root: ``.venv/bin/python bench/lab_startup.py [--runs N]``.
Each run: ``down`` (clean slate), cold ``up --configured`` (until every BGP session is
Established and the VGW has its path), then ``down``. Leaves nothing up.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks import PROJECT_ROOT
from tasks.lab import control
from tasks.lab.topology import load_topology

TARGETS = {2: 5.0, 4: 10.0}
TOPOLOGIES = {2: PROJECT_ROOT / "lab/topology.yaml", 4: PROJECT_ROOT / "lab/topology-4.yaml"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--factory", action="store_true", help="time factory-state up instead")
    args = parser.parse_args()
    ok = True
    with control.session_lock():
        for n, path in TOPOLOGIES.items():
            topo = load_topology(path)
            control.down(topo.prefix, topo.runtime_dir)
            ups, downs = [], []
            for _ in range(args.runs):
                ups.append(control.up(topo, configured=not args.factory)["seconds"])
                downs.append(control.down(topo.prefix, topo.runtime_dir)["seconds"])
            target = TARGETS[n]
            verdict = "ok" if max(ups) < target else "OVER TARGET"
            ok &= max(ups) < target
            print(
                f"{n} routers: up --{'factory' if args.factory else 'configured'} "
                f"median {statistics.median(ups):.2f}s max {max(ups):.2f}s "
                f"(target < {target:.0f}s: {verdict}); "
                f"down median {statistics.median(downs):.2f}s max {max(downs):.2f}s"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
