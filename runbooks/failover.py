#!/usr/bin/env python3
"""Run a controlled failover test of one VPC and measure it (a maintenance-window drill).

drain (default): pre-checks, make the primary less preferred (AS-path prepend) until the VGW
and the traffic moved to the best backup, then shut its BGP sessions (maintenance mode), hold,
restore and measure the fail-back, verify again. hard (lab only): cut the primary's underlay
instead and measure convergence against the BGP hold time. isp (lab only): break the primary's
internet path beyond its ISP's first hop while its tunnels stay up, and measure how fast its
ISP health checks (isp_health) move the traffic to the backup and back.

The observer is user_defined.probe.kind in the Nornir config: counters (default: the routers'
own counters over SSH), ssm (a probe agent in the VPC through SSM Run Command), lab.

Every change is undone on any exit (error, timeout, Ctrl-C, SIGTERM, SIGHUP) and the restore
is proved by verify. A run that cannot undo (SIGKILL, a lost machine) leaves that to the
primary itself: before the drain, a guard is armed on the router that ends the drain by itself
--hold + --guard-margin seconds later unless the fail-back disarmed it (FRR: a timer on the
router; VyOS: the drain is a commit-confirm, rounded up to whole minutes, and an expired one
reboots VyOS to its saved config). `failover.py --recover` ends a drain at once. For the whole
test the run holds every router's change lock: no deploy of this VPC runs meanwhile. No
prompts: this is meant for schedulers and CI as much as for an operator.
"""

from __future__ import annotations

import argparse
import contextlib

from nornir.core import Nornir

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
from tasks.drivers.base import LockedError
from tasks.errors import DriverError, ExitCode, ToolkitError
from tasks.failover import Bounds, FailoverOptions, FailoverReport, run_failover
from tasks.failover.records import EXIT_REFUSED, EXIT_RESTORE_FAILED
from tasks.failover.recover import recover
from tasks.report import table

EPILOG = f"""exit codes:
{exit_codes_help("failover.py")}

exit codes of --recover:
{exit_codes_help("failover.py --recover")}
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    add_common_args(parser)
    parser.add_argument(
        "--recover",
        action="store_true",
        help="no test: end a drain left on the VPC's primary now (sessions enabled, rendered "
        "prepend, guard disarmed), then verify",
    )
    parser.add_argument(
        "--guard-margin",
        type=float,
        default=120.0,
        help="the primary ends the drain by itself --hold + this many seconds after it began, "
        "unless the run's fail-back came first (120; must cover drain, maintenance and restore)",
    )
    parser.add_argument(
        "--lock-wait",
        type=float,
        default=0.0,
        help="seconds to wait for another run's change lock on a router of the VPC (0: refuse)",
    )
    parser.add_argument(
        "--mode",
        choices=("drain", "hard", "isp"),
        default="drain",
        help="drain: make-before-break (default); hard: cut the primary's underlay (lab only); "
        "isp: break the primary's internet path beyond its ISP's first hop, tunnels up (lab "
        "only; needs isp_health on the primary)",
    )
    parser.add_argument(
        "--hold", type=float, default=10.0, help="seconds the backup carries the traffic (10)"
    )
    parser.add_argument("--rate", type=float, default=50.0, help="probes per second (50)")
    parser.add_argument(
        "--max-switch-seconds",
        type=float,
        default=5.0,
        help="drain and fail-back: traffic on the new path within this many seconds (5)",
    )
    parser.add_argument(
        "--max-lost", type=int, default=0, help="probes a drain, hold or fail-back may lose (0)"
    )
    parser.add_argument(
        "--hard-margin",
        type=float,
        default=2.0,
        help="hard / isp: converge within the BGP holdtime (hard) or the health detection time "
        "+ BGP scan (isp) plus this many seconds (2)",
    )
    parser.add_argument(
        "--switch-timeout",
        type=float,
        default=30.0,
        help="give up (and restore) when traffic has not moved after this many seconds (30; "
        "hard mode adds the holdtime)",
    )
    parser.add_argument(
        "--max-gap-seconds",
        type=float,
        default=1.0,
        help="observers that cannot count lost probes (counters): the longest time no router "
        "may carry traffic in a drain, hold or fail-back (1)",
    )
    parser.add_argument(
        "--abort-after-silence",
        type=float,
        default=2.0,
        help="drain, maintenance and hold: abort and restore the primary when no traffic was "
        "seen for this many seconds (2; router counters: at least 3 read intervals)",
    )
    parser.add_argument(
        "--no-aws",
        action="store_true",
        help="pre-checks and CloudWatch confirmation without the AWS API",
    )
    args = parser.parse_args(argv)
    if args.role or args.hosts:
        parser.error("a failover test takes a whole VPC: use --vpc, not --hosts/--role")
    if not 0 < args.rate <= 1000:
        parser.error("--rate must be in (0, 1000]")
    if not 0 <= args.hold <= 3600:
        parser.error("--hold must be in [0, 3600] seconds")
    if not 0.5 <= args.abort_after_silence <= 600:
        parser.error("--abort-after-silence must be in [0.5, 600] seconds")
    if not 10 <= args.guard_margin <= 3600:
        parser.error("--guard-margin must be in [10, 3600] seconds")
    if not 0 <= args.lock_wait <= 3600:
        parser.error("--lock-wait must be in [0, 3600] seconds")
    return args


def render(report: FailoverReport) -> str:
    def num(value: float | None, unit: str = "s") -> str:
        return "-" if value is None else f"{value:.3f}{unit}"

    rows = []
    for p in report.phases:
        sw = p.switch
        rows.append(
            (
                p.name,
                p.status.upper() if p.status != "pass" else "ok",
                f"{p.seconds:.1f}s",
                num(sw.vgw_s) if sw else "-",
                num(sw.traffic_s) if sw else "-",
                f"{sw.lost}/{sw.sent}" if sw and sw.lost is not None else "-",
                num(sw.outage_s) if sw else "-",
                p.bound or "-",
            )
        )
    head = ("phase", "result", "took", "vgw", "traffic", "lost/sent", "max gap", "bound")
    vgw_note = (
        "vgw: the VGW's own choice (lab)"
        if any(p.switch and p.switch.vgw_s is not None for p in report.phases)
        else "vgw: - (no AWS API says which tunnel a VGW forwards on)"
    )
    lines = [
        f"failover test of {report.vpc} ({report.mode}): primary {report.primary}, backup "
        f"{report.backup or '-'}"
        + (f", drain prepend {report.prepend}x" if report.prepend else ""),
        "",
        table(head, rows),
        "",
        f"figures by the {report.observer or '-'} observer: {report.basis or '-'}",
        f"  traffic: command to traffic on the new path; max gap: longest time nothing "
        f"arrived / no router carried traffic; {vgw_note}",
        "",
    ]
    cw = report.cloudwatch
    if cw:
        lines += [f"CloudWatch: {cw.get('status')}: {cw.get('detail', '')}"]
        lines += [f"  {row}" for row in cw.get("rows", [])]
        lines += [""]
    lines += [f"  {p.name}: {p.detail}" for p in report.phases if p.detail]
    if report.failing_checks:
        lines += ["", "refused because:", *[f"  - {r}" for r in report.failing_checks]]
    if report.undone or report.undo_failed:
        lines += ["", "undone on exit: " + (", ".join(report.undone) or "-")]
        lines += [f"UNDO FAILED: {u}" for u in report.undo_failed]
    if report.guard:
        lines.append(f"drain guard: {report.guard}")
    if report.restored is not None:
        state = "restored" if report.restored else "NOT PROVEN RESTORED"
        lines.append(f"primary {state}: {report.restore_detail}")
    if not report.changed and report.outcome in ("aborted", "interrupted"):
        lines += ["", "nothing was changed on any router: the run stopped before the drain"]
    verdict = report.outcome.upper().replace("_", " ")
    lines += ["", f"{verdict}{': ' + report.error if report.error else ''} "
              f"(exit {report.exit_code})"]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv)


def _main(argv: list[str] | None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    interruptible()
    nr = open_inventory(args, connects=True)
    if args.recover:
        return _recover(nr, args)
    options = FailoverOptions(
        mode=args.mode,
        hold=args.hold,
        rate=args.rate,
        bounds=Bounds(
            args.max_switch_seconds, args.max_lost, args.hard_margin, args.max_gap_seconds
        ),
        switch_timeout=args.switch_timeout,
        aws=not args.no_aws,
        guard_margin=args.guard_margin,
        max_silence=args.abort_after_silence,
        lock_wait=args.lock_wait,
    )
    try:
        report = run_failover(nr, options)
    except ToolkitError as exc:
        fail(f"{exc}\nNothing was touched.", ExitCode.BAD_INPUT)
    with contextlib.suppress(OSError):  # a lost terminal: the exit code still tells
        if args.json:
            print_json(report.as_dict())
        else:
            print(render(report), flush=True)
    return report.exit_code


def _recover(nr: Nornir, args: argparse.Namespace) -> int:
    try:
        recovery = recover(nr, lock_wait=args.lock_wait, aws=not args.no_aws)
    except LockedError as exc:
        fail(str(exc), EXIT_REFUSED)
    except DriverError as exc:
        fail(f"{exc}\nThe primary was not reached; nothing was changed.", EXIT_RESTORE_FAILED)
    except ToolkitError as exc:
        fail(f"{exc}\nNothing was touched.", ExitCode.BAD_INPUT)
    with contextlib.suppress(OSError):
        if args.json:
            print_json(recovery.as_dict())
        else:
            print(f"recover {recovery.vpc}: primary {recovery.primary}: "
                  f"{recovery.guard or 'no drain guard was armed'}")  # fmt: skip
            print(f"  done: {', '.join(recovery.done) or '-'}")
            state = "verified" if recovery.restored else "NOT PROVEN"
            print(f"primary path {state}: {recovery.detail} (exit {recovery.exit_code})")
    return recovery.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
