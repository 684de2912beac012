#!/usr/bin/env python3
"""Deploy rendered router configs.

Today: ``--dry-run`` renders the selected hosts in parallel and prints each config with
pre-shared keys masked (``--output-dir`` writes the files instead). A bad inventory exits 2
before any device is touched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.cli import (
    EXIT_FAILED,
    EXIT_OK,
    add_common_args,
    open_inventory,
    print_json,
    setup_logging,
)
from tasks.render import as_text, render_config, write_files
from tasks.report import failures, print_failures


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Render and deploy router configs for BGP outbound HA of an AWS VPC.",
        epilog="Exit codes: 0 every selected host ok, 1 a host failed, 2 bad input "
        "(inventory, options), 130 interrupted.",
    )
    add_common_args(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="render and print configs; change nothing"
    )
    parser.add_argument(
        "--output-dir", type=Path, help="with --dry-run: write each host's files under DIR/<host>/"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_file)
    nr = open_inventory(args)
    if not args.dry_run:
        print("error: only --dry-run is available yet", file=sys.stderr)
        return 2
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


if __name__ == "__main__":
    raise SystemExit(main())
