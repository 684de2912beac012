#!/usr/bin/env python3
"""Build, inspect and remove the network-namespace lab (FRR + strongSwan routers, a VGW).

Examples:
    lab.py up                      # 2 routers in factory state (SSH, daemons, no BGP/IPsec)
    lab.py up --configured         # ... configured from the frr templates
    lab.py up --topology lab/topology-4.yaml
    lab.py status --json
    lab.py down

Exit codes (``--help``; the one table: :data:`tasks.errors.RUNBOOK_CODES`): 0 ok, 1 the lab
failed (up did not converge, status not all up), 2 refused (not root, a package missing, bad
topology, the lab held by another session), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from tasks.cli import exit_codes_help, run_main
from tasks.errors import ExitCode
from tasks.lab import control, preflight, status
from tasks.lab.topology import LabError, Plan, load_topology

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = ExitCode.OK, ExitCode.FAILED, ExitCode.BAD_INPUT


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit codes:\n" + exit_codes_help("lab.py"),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build the lab (idempotent)")
    up.add_argument("--configured", action="store_true", help="apply the rendered frr config")
    sub.add_parser("down", help="remove everything the lab made")
    st = sub.add_parser("status", help="BGP sessions, SAs and the VGW's path")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    for p in (up, st):
        group = p.add_mutually_exclusive_group()
        group.add_argument("--topology", type=Path, help="topology file (lab/topology.yaml)")
        group.add_argument("--routers", type=int, help="N routers: r1 primary, r2.. backups")
    up.add_argument("--timeout", type=float, default=60, help="seconds to converge (60)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv)


def _main(argv: list[str] | None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    try:
        if args.command == "down":
            preflight.check()
            with control.session_lock(timeout=30):
                result = control.down()
            print(
                f"lab down: stopped {result['stopped']} process(es), removed "
                f"{len(result['namespaces'])} namespace(s) in {result['seconds']:.2f}s"
            )
            return EXIT_OK
        topo = load_topology(args.topology, args.routers)
        if args.command == "up":
            preflight.check()
            with control.session_lock(timeout=30):
                result = control.up(topo, configured=args.configured, timeout=args.timeout)
            state = "configured" if args.configured else "factory state"
            print(
                f"lab up ({len(topo.routers)} routers, {state}): {result['action']} "
                f"in {result['seconds']:.2f}s; inventory {Plan(topo).runtime / 'nornir.yaml'}"
            )
            return EXIT_OK
        preflight.check()
        if not control.healthy(Plan(topo)):
            print("lab is not up (run: lab.py up)", file=sys.stderr)
            return EXIT_FAILED
        data = status.collect(Plan(topo))
        print(json.dumps(data, indent=2) if args.json else status.report(data))
        good = all(
            t["child"] == "INSTALLED" and t["bgp_router"] == "Established" for t in data["tunnels"]
        )
        return EXIT_OK if good and data["vgw_best"] else EXIT_FAILED
    except LabError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        refused = any(w in str(exc) for w in ("needs root", "missing", "topology", "held by"))
        return EXIT_REFUSED if refused else EXIT_FAILED
    except TimeoutError as exc:
        print(f"lab: {exc} (logs under /run/vpc-ha-lab/boxes/*/log and run/)", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
