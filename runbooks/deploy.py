#!/usr/bin/env python3
"""Deploy rendered router configs safely: waves, commit-confirm, post-checks, rollback.

Modes:
  (default)       deploy: backups first, then the primary; each router's change is confirmed
                  only after its sessions and SAs came back, else rolled back
  --dry-run       connect and print each router's diff (keys masked); change nothing
  --render-only   render offline and print (or --output-dir write) the configs; no device
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_common_args,
    open_inventory,
    print_json,
    setup_logging,
)
from tasks.deploy import DeployOptions, run_deploy
from tasks.health import post_check, snapshot
from tasks.render import as_text, render_config, write_files
from tasks.report import failures, print_failures, table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Render and deploy router configs for BGP outbound HA of an AWS VPC.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit codes: 0 every selected host ended healthy, 1 a host failed or was rolled "
        "back or skipped, 2 bad input (inventory, options; nothing touched), 130 interrupted. "
        "VyOS: a host reported with its commit-confirm timer still armed (the session was "
        "lost) reboots to its saved config when --confirm-timeout ends.",
    )
    add_common_args(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print diffs; change nothing")
    mode.add_argument(
        "--render-only", action="store_true", help="render offline; contact no device"
    )
    parser.add_argument("--output-dir", type=Path, help="with --render-only: write DIR/<host>/")
    parser.add_argument(
        "--confirm-timeout",
        type=int,
        default=300,
        help="the confirm window: seconds before an unconfirmed change reverts by itself "
        "(default %(default)s). On VyOS (1.3 and 1.4) this is commit-confirm, rounded up to "
        "whole minutes, and an expired timer REBOOTS the router to its saved config (both "
        "tunnels down for the boot); deploy confirms or rolls back well before that, unless "
        "it loses the router",
    )
    parser.add_argument(
        "--settle-timeout",
        type=float,
        default=90.0,
        help="seconds to wait for sessions and SAs after a change (default %(default)s)",
    )
    parser.add_argument(
        "--primary-first", action="store_true", help="change the primary before its backups"
    )
    return parser.parse_args(argv)


def render_only(args: argparse.Namespace) -> int:
    nr = open_inventory(args)
    results = nr.run(task=render_config, name="render")
    failed = failures(results)
    rendered = {h: r[0].result for h, r in results.items() if h not in failed}
    if args.output_dir:
        for host, files in rendered.items():
            write_files(files, args.output_dir / host)
    if args.json:
        print_json({"rendered": rendered, "failed": failed})
    elif not args.output_dir:
        for host in sorted(rendered):
            print(f"===== {host} =====")
            print(as_text(rendered[host]).rstrip())
            print()
    print_failures(failed)
    return EXIT_FAILED if failed else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    if args.render_only:
        return render_only(args)
    nr = open_inventory(args)
    options = DeployOptions(
        dry_run=args.dry_run,
        confirm_timeout=args.confirm_timeout,
        settle_timeout=args.settle_timeout,
        primary_first=args.primary_first,
        snapshot=snapshot,
        post_check=post_check,
    )
    report = run_deploy(nr, options)
    if args.json:
        print_json(report.as_dict())
    else:
        if args.dry_run:
            for o in report.outcomes:
                if o.diff:
                    print(f"===== {o.host} =====\n{o.diff.rstrip()}\n")
        rows = [
            (o.host, o.vpc, o.role if o.role == "primary" else f"backup {o.rank}", o.wave or "-",
             o.status, f"{o.timings.get('total', 0):.1f}s", o.error)
            for o in report.outcomes
        ]  # fmt: skip
        print(table(("host", "vpc", "role", "wave", "result", "time", "detail"), rows))
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if report.ok else EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
