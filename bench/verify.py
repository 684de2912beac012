#!/usr/bin/env python3
"""Wall time of verify on the 2-router lab, parallel against a serial baseline in the same run.

Run as root from the repository root: ``.venv/bin/python bench/verify.py [--runs N]``.
Brings the configured lab up if it is not (and down again at the end if it did), then times
``run_verify`` (router side, path decision, data-plane probe; AWS skipped) N times with
Nornir's threaded runner and N times with one worker. Target: under 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.inventory import load
from tasks.lab import control
from tasks.lab.topology import load_topology
from tasks.verify import run_verify
from tasks.verify_extra import extra_checks

TARGET_S = 3.0


def timed_verify(config: Path, workers: int) -> tuple[float, int]:
    begun = time.perf_counter()
    nr = load(config)
    nr.runner.num_workers = workers  # type: ignore[attr-defined]
    report = run_verify(nr, extra_checks(nr, aws=False, probe=True))
    return time.perf_counter() - begun, report.exit_code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    topo = load_topology()
    with control.session_lock():
        built = control.up(topo, configured=True)["action"] == "built"
        try:
            config = topo.runtime_dir / "nornir.yaml"
            parallel = [timed_verify(config, 20) for _ in range(args.runs)]
            serial = [timed_verify(config, 1) for _ in range(args.runs)]
        finally:
            if built:
                control.down(topo.prefix, topo.runtime_dir)
    codes = {code for _, code in parallel + serial}
    p = [t for t, _ in parallel]
    s = [t for t, _ in serial]
    ratio = statistics.median(s) / statistics.median(p)
    verdict = "ok" if max(p) < TARGET_S else "OVER TARGET"
    print(f"verify, 2-router lab, {args.runs} runs each (exit codes seen: {sorted(codes)})")
    print(f"  parallel: median {statistics.median(p):.2f}s max {max(p):.2f}s "
          f"(target < {TARGET_S:.0f}s: {verdict})")  # fmt: skip
    print(f"  serial baseline: median {statistics.median(s):.2f}s max {max(s):.2f}s")
    print(f"  speed-up parallel vs serial: {ratio:.2f}x")
    return 0 if max(p) < TARGET_S and codes == {0} else 1


if __name__ == "__main__":
    sys.exit(main())
