#!/usr/bin/env python3
"""Check routers against the compliance policy: drift and policy rules, with history.

Three sources: live routers over SSH in parallel (default), saved configs offline
(``--from-dir``), or the configs the inventory renders (``--intended``, for CI before a change
merges). A scheduler runs it hourly (deploy/systemd, deploy/cron; docs/compliance.md).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tasks.cli import (
    add_common_args,
    comma_list,
    exit_codes_help,
    open_inventory,
    print_json,
    run_main,
    setup_logging,
)
from tasks.compliance.check import Known, check_intended, check_live, check_saved, known_hosts
from tasks.compliance.engine import HostResult, worst_severity
from tasks.compliance.history import Fixed, History
from tasks.compliance.lock import RunLock
from tasks.compliance.policy import DEFAULT_POLICY, load_policy
from tasks.compliance.report import json_payload, junit_xml, text_report
from tasks.compliance.sources import Saved, read_dir
from tasks.errors import BadInput, ExitCode, ToolkitError
from tasks.inventory import load, select

#: Exit code by the worst severity found; info-only is compliant.
EXIT_BY_SEVERITY = {None: 0, "info": 0, "low": 3, "medium": 4, "high": 5, "critical": 6}
EXIT_LOCKED = ExitCode.BUSY  # another run is in progress; try again at the next slot

STATE_DIR = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "vpc-ha"
DEFAULT_HISTORY = STATE_DIR / "compliance.sqlite"

EPILOG = f"""\
exit codes (3..6: the worst severity found):
{exit_codes_help("compliance.py")}

examples:
  compliance.py                                  # live, every router, hourly job
  compliance.py --from-dir saved/ --json         # offline on saved configs
  compliance.py --intended --junit report.xml    # CI on rendered intended configs
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Check routers against the compliance policy (drift + rules), with history.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_args(parser)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--from-dir",
        type=Path,
        metavar="DIR",
        help="offline: saved configs, DIR/<host>.<ext> (VyOS, either form) or DIR/<host>/ "
        "(rendered layout); no device is contacted",
    )
    source.add_argument(
        "--intended",
        action="store_true",
        help="CI: judge the configs the inventory renders (device-only rules skipped)",
    )
    parser.add_argument(
        "--no-inventory",
        action="store_true",
        help="with --from-dir: judge the saved configs alone (no roles, no drift)",
    )
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML to FILE")
    parser.add_argument(
        "--history",
        type=Path,
        metavar="DB",
        help=f"SQLite findings history (default {DEFAULT_HISTORY}; none with --intended)",
    )
    parser.add_argument("--no-history", action="store_true", help="do not read or write history")
    parser.add_argument(
        "--policy", type=Path, default=DEFAULT_POLICY, help="policy file (default: %(default)s)"
    )
    parser.add_argument(
        "--lock-file", type=Path, help="lock against overlapping runs (default: <history>.lock)"
    )
    parser.add_argument("--no-drift", action="store_true", help="omit drift diffs from the table")
    return parser.parse_args(argv)


def history_path(args: argparse.Namespace) -> Path | None:
    if args.no_history:
        return None
    if args.history:
        return Path(args.history)
    return None if args.intended else DEFAULT_HISTORY


def saved_configs(args: argparse.Namespace) -> tuple[list[Saved], dict[str, Known]]:
    """Saved configs selected by the filters, and what the inventory knows about them."""
    saved = read_dir(args.from_dir)
    known: dict[str, Known] = {}
    if not args.no_inventory and (args.config.is_file() or args.role or args.vpc):
        try:
            known = known_hosts(select(load(args.config), role=args.role, vpc=args.vpc))
        except ToolkitError as exc:  # a missing or unreadable inventory, too, is bad input
            raise BadInput(str(exc)) from exc
    wanted = set(comma_list(args.hosts))
    unknown = sorted(wanted - {s.host for s in saved})
    if unknown:
        raise BadInput(
            f"unknown host(s) {', '.join(unknown)} in {args.from_dir}; it has "
            f"{', '.join(s.host for s in saved)}"
        )
    selected = [
        s
        for s in saved
        if (not wanted or s.host in wanted) and (not (args.role or args.vpc) or s.host in known)
    ]
    if not selected:
        raise BadInput("no saved configs match the filters (--hosts/--role/--vpc)")
    return selected, known


def run(args: argparse.Namespace) -> tuple[list[HostResult], str]:
    policy = load_policy(args.policy)
    if args.from_dir:
        saved, known = saved_configs(args)
        return check_saved(saved, policy, known), "offline"
    nr = open_inventory(args, connects=not args.intended)
    if args.intended:
        return check_intended(known_hosts(nr), policy), "intended"
    return check_live(nr, policy), "live"


def main(argv: list[str] | None = None) -> int:
    return run_main(_main, argv)


def _main(argv: list[str] | None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    history = history_path(args)
    lock_path = args.lock_file or (history or DEFAULT_HISTORY).with_suffix(".lock")
    with RunLock(lock_path):  # AlreadyRunning: 75; bad input: 2; the history failing: 1
        results, mode = run(args)
        fixed: list[Fixed] = []
        if history is not None:
            with History(history) as store:
                fixed = store.record(results, mode)
    worst = worst_severity(results)
    code = EXIT_BY_SEVERITY[worst]
    if args.junit:
        args.junit.write_text(junit_xml(results), encoding="utf-8")
    if args.json:
        print_json(json_payload(results, fixed, worst, code))
    else:
        print(text_report(results, fixed, show_drift=not args.no_drift))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
