#!/usr/bin/env python3
"""Deploy to 1, 2 and 4 lab routers serially and in parallel in one run; print the speed-up.

Run as root from the repository root: ``.venv/bin/python bench/deploy_scale.py``.
Uses the 4-router lab (brought up for the run, factory state, and down again if it built it).
Each measurement factory-resets the routers, then runs the per-router deploy task
(render, diff, apply with commit-confirm, post-check, confirm) over N routers with one worker
(serial baseline) and with N workers (one wave's parallelism: deploy.py itself never puts two
routers of one VPC in a wave, so this is the speed-up across VPCs). Target: >= 0.7 x N.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks import PROJECT_ROOT
from tasks.deploy import DeployOptions, HostOutcome, deploy_router
from tasks.health import post_check, snapshot
from tasks.inventory import load
from tasks.lab import Lab, control
from tasks.lab.topology import load_topology

TOPOLOGY = PROJECT_ROOT / "lab" / "topology-4.yaml"
OPTIONS = DeployOptions(confirm_timeout=120, settle_timeout=30.0, snapshot=snapshot,
                        post_check=post_check)  # fmt: skip


def deploy_once(lab: Lab, hosts: list[str], workers: int) -> float:
    for router in hosts:
        lab.factory_reset(router)
    nr = load(lab.config_file).filter(filter_func=lambda h: h.name in hosts)
    nr.runner.num_workers = workers  # type: ignore[attr-defined]
    begun = time.perf_counter()
    results = nr.run(task=deploy_router, options=OPTIONS, abort=threading.Event(), wave=1,
                     progress=lambda message: None)  # fmt: skip
    elapsed = time.perf_counter() - begun
    statuses = {h: r[0].result.status for h, r in results.items()
                if isinstance(r[0].result, HostOutcome)}  # fmt: skip
    if set(statuses.values()) != {"changed"} or len(statuses) != len(hosts):
        raise SystemExit(f"deploy did not change every router: {statuses}")
    return elapsed


def main() -> int:
    topo = load_topology(TOPOLOGY)
    ok = True
    with control.session_lock():
        default = load_topology()
        control.down(default.prefix, default.runtime_dir)
        control.up(topo, configured=False)
        lab = Lab(topo)
        try:
            print("deploy, factory -> configured, per router count (serial = 1 worker)")
            for n in (1, 2, 4):
                hosts = lab.routers[:n]
                serial = deploy_once(lab, hosts, 1)
                parallel = deploy_once(lab, hosts, n)
                speedup = serial / parallel
                target = 0.7 * n
                verdict = "ok" if speedup >= target or n == 1 else "UNDER TARGET"
                ok &= verdict == "ok"
                print(f"  {n} router(s): serial {serial:.2f}s parallel {parallel:.2f}s "
                      f"speed-up {speedup:.2f}x (target >= {target:.1f}x: {verdict})")  # fmt: skip
        finally:
            control.down(topo.prefix, topo.runtime_dir)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
