#!/usr/bin/env python3
"""Verify that a VPC's outbound traffic leaves through the primary, with backups ready.

Exit codes (``--help``; the one table is :data:`tasks.errors.RUNBOOK_CODES`): 0 healthy,
1 degraded, 2 primary path broken or not guaranteed (also bad input), 3 could not verify.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tasks.cli import (
    add_common_args,
    exit_codes_help,
    fail,
    open_inventory,
    print_json,
    run_main,
    setup_logging,
)
from tasks.errors import ExitCode, ToolkitError
from tasks.report import junit_xml, table
from tasks.verify import run_verify
from tasks.verify.report import EXIT_UNVERIFIED
from tasks.verify_extra import extra_checks

STATUS_MARK = {"pass": "ok", "fail": "FAIL", "warn": "warn", "skip": "skip", "error": "ERROR"}
VERDICT = {
    0: "HEALTHY: traffic leaves through the primary; every backup is ready",
    1: "DEGRADED: the primary path is good but a backup is not ready",
    2: "PRIMARY PATH BROKEN OR NOT GUARANTEED",
    3: "COULD NOT VERIFY: see the ERROR rows",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Prove the primary path of each VPC: routers, path decision, AWS, data plane.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The data-plane check uses the observer user_defined.probe.kind names: counters "
        "(default;\nrouter counters over SSH), ssm (an agent in the VPC) or lab. An unknown kind "
        "is bad input.\n\nexit codes:\n" + exit_codes_help("verify.py"),
    )
    add_common_args(parser)
    parser.add_argument("--junit", type=Path, help="also write a JUnit XML report to this file")
    parser.add_argument("--no-aws", action="store_true", help="skip the AWS API checks")
    parser.add_argument("--no-probe", action="store_true", help="skip the data-plane probe")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv)


def _main(argv: list[str] | None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    nr = open_inventory(args, connects=True)
    try:
        extra = extra_checks(nr, aws=not args.no_aws, probe=not args.no_probe)
    except ToolkitError as exc:  # an unknown probe kind: refused before any device is touched
        fail(f"{exc}\nNothing was touched.", ExitCode.BAD_INPUT)
    try:
        report = run_verify(nr, extra)
    except KeyboardInterrupt:
        fail("interrupted: nothing verified", ExitCode.INTERRUPTED)
    except ToolkitError as exc:  # here 1 would read "degraded": say "could not verify"
        fail(str(exc), EXIT_UNVERIFIED)
    if args.junit:
        cases = [(c.check, c.target, c.status, c.detail) for c in report.checks]
        args.junit.write_text(junit_xml("verify", cases), encoding="utf-8")
    if args.json:
        print_json(report.as_dict())
    else:
        rows = [
            (c.target, c.check, STATUS_MARK[c.status], c.severity, c.detail)
            for c in sorted(report.checks, key=lambda c: (c.target, c.check))
        ]
        print(table(("target", "check", "result", "path", "detail"), rows))
        print()
        print(f"{VERDICT[report.exit_code]} (exit {report.exit_code})")
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
