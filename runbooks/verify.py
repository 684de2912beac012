#!/usr/bin/env python3
"""Verify that a VPC's outbound traffic leaves through the primary, with backups ready.

Exit codes: 0 healthy, 1 degraded (a backup not ready), 2 primary path broken or not
guaranteed, 3 could not verify (unreachable router, unparsable output, ...).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.cli import add_common_args, fail, open_inventory, print_json, setup_logging
from tasks.errors import ToolkitError
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
        epilog="Exit codes: 0 healthy, 1 degraded (a backup not ready), 2 primary path broken "
        "or not guaranteed (also: bad input, e.g. an unknown user_defined.probe.kind, refused "
        "before any device is touched), 3 could not verify. The data-plane check uses the "
        "observer user_defined.probe.kind names: counters (default; router counters over SSH), "
        "ssm (an agent in the VPC) or lab.",
    )
    add_common_args(parser)
    parser.add_argument("--junit", type=Path, help="also write a JUnit XML report to this file")
    parser.add_argument("--no-aws", action="store_true", help="skip the AWS API checks")
    parser.add_argument("--no-probe", action="store_true", help="skip the data-plane probe")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    nr = open_inventory(args, connects=True)
    try:
        extra = extra_checks(nr, aws=not args.no_aws, probe=not args.no_probe)
    except ToolkitError as exc:  # an unknown probe kind: refused before any device is touched
        fail(f"{exc}\nNothing was touched.")
    try:
        report = run_verify(nr, extra)
    except KeyboardInterrupt:
        print("interrupted: nothing verified", file=sys.stderr)
        return EXIT_UNVERIFIED
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
