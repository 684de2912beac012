#!/usr/bin/env python3
"""Deploy rendered router configs safely: waves, commit-confirm, post-checks, rollback.

Modes:
  (default)       deploy: backups first, then the primary; each router's change is confirmed
                  only after its sessions and SAs came back, else rolled back
  --dry-run       connect and print each router's diff (keys masked); change nothing
  --render-only   render offline and print (or --output-dir write) the configs; no device
  --confirm       keep a change an earlier run left unconfirmed (a killed deploy's)
  --rollback      undo such a change now, instead of waiting for its timer
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tasks.cli import (
    add_common_args,
    exit_codes_help,
    fail,
    interruptible,
    open_inventory,
    print_json,
    run_main,
    setup_logging,
)
from tasks.deploy import BadOptions, DeployOptions, DeployReport, run_settle
from tasks.errors import ExitCode
from tasks.health import post_check, snapshot
from tasks.render import as_text, render_config, write_rendered
from tasks.report import failures, print_failures, table
from tasks.waves import run_deploy


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Render and deploy router configs for BGP outbound HA of an AWS VPC.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="VyOS: a host reported with its commit-confirm timer still armed (the session was "
        "lost) reboots\nto its saved config when --confirm-timeout ends.\n\nexit codes:\n"
        + exit_codes_help("deploy.py"),
    )
    add_common_args(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print diffs; change nothing")
    mode.add_argument(
        "--render-only", action="store_true", help="render offline; contact no device"
    )
    mode.add_argument(
        "--confirm",
        action="store_true",
        help="keep a change an earlier (killed) run left unconfirmed on the selected routers",
    )
    mode.add_argument(
        "--rollback",
        action="store_true",
        help="undo, now, a change an earlier run left unconfirmed on the selected routers",
    )
    parser.add_argument("--output-dir", type=Path, help="with --render-only: write DIR/<host>/")
    parser.add_argument(
        "--adopt",
        action="store_true",
        help="deploy to a device that was deployed as another router (re-purposed): its "
        "recorded identity is replaced by this inventory's host name. Without it such a device "
        "is refused at the connection ('says it is r1'), before anything is read or changed",
    )
    parser.add_argument(
        "--confirm-timeout",
        type=int,
        default=300,
        help="the confirm window: seconds before an unconfirmed change reverts by itself "
        "(default %(default)s; at least --settle-timeout + 30, at most 3600). On VyOS (1.3 and "
        "1.4) this is commit-confirm, rounded up to whole minutes, and an expired timer REBOOTS "
        "the router to its saved config (both tunnels down for the boot); deploy confirms or "
        "rolls back well before that, unless it loses the router",
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
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=0.0,
        help="seconds to wait when another run holds a router's change lock (default 0: that "
        "router fails at once, 'another run is changing this router')",
    )
    return parser.parse_args(argv)


def render_only(args: argparse.Namespace) -> int:
    nr = open_inventory(args)
    if args.output_dir:  # nornir_utils' write_file: a diff and `changed` per file
        results = nr.run(task=write_rendered, directory=args.output_dir, name="render")
    else:
        results = nr.run(task=render_config, name="render")
    failed = failures(results)
    rendered = {h: r[0].result for h, r in results.items() if h not in failed}
    if args.json:
        print_json({"rendered": rendered, "failed": failed})
    elif args.output_dir:
        for host in sorted(rendered):
            changed = [r.name for r in results[host][1:] if r.changed]
            print(f"{host}: {len(rendered[host])} file(s) in {args.output_dir / host}, "
                  f"{len(changed)} changed")  # fmt: skip
    else:
        for host in sorted(rendered):
            print(f"===== {host} =====")
            print(as_text(rendered[host]).rstrip())
            print()
    print_failures(failed)
    return ExitCode.FAILED if failed else ExitCode.OK


def print_report(args: argparse.Namespace, report: DeployReport) -> None:
    if args.json:
        print_json(report.as_dict())
        return
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


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv)


def _main(argv: list[str] | None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    interruptible()
    if args.render_only:
        return render_only(args)
    if args.confirm or args.rollback:
        report = run_settle(open_inventory(args, connects=True),
                            "confirm" if args.confirm else "rollback")  # fmt: skip
        print_report(args, report)
        # Here "rolled_back" is the asked-for result, not a failure.
        failed = any(o.status == "failed" for o in report.outcomes)
        return ExitCode.FAILED if failed else ExitCode.OK
    try:
        options = DeployOptions(
            dry_run=args.dry_run,
            confirm_timeout=args.confirm_timeout,
            settle_timeout=args.settle_timeout,
            primary_first=args.primary_first,
            lock_wait=args.lock_wait,
            adopt=args.adopt,
            snapshot=snapshot,
            post_check=post_check,
        )
    except BadOptions as exc:
        fail(str(exc), ExitCode.BAD_INPUT)
    nr = open_inventory(args, connects=True, keys=True)
    report = run_deploy(nr, options)
    print_report(args, report)
    if report.interrupted:
        return ExitCode.INTERRUPTED
    return ExitCode.OK if report.ok else ExitCode.FAILED


if __name__ == "__main__":
    raise SystemExit(main())
