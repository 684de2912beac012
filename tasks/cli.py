"""What every runbook shares: common options, logging with secrets masked, inventory opening.

Runbooks stay thin (argparse, a filter, ``nr.run``, a report, an exit code); the pieces they
all repeat live here so each behaves the same at 3 a.m. :func:`run_main` is the one place where
an error or an interrupt becomes an exit code (the table: :mod:`tasks.errors`).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from nornir.core import Nornir

from tasks import PROJECT_ROOT
from tasks.errors import RUNBOOK_CODES, SHARED, ExitCode, InventoryError, ToolkitError
from tasks.inputs import check_inputs
from tasks.inventory import load, select
from tasks.platforms.connection import close_all
from tasks.secrets import RedactingFilter, redact

A = TypeVar("A")

DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"

log = logging.getLogger(__name__)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Inventory, filters, output and logging options every runbook accepts."""
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="Nornir config file (default: %(default)s; the lab's is lab/config.yaml)",
    )
    parser.add_argument("--hosts", help="comma-separated host names to act on")
    parser.add_argument("--role", choices=("primary", "backup"), help="only routers of this role")
    parser.add_argument("--vpc", help="only routers of this VPC id")
    parser.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-v info, -vv debug)"
    )
    parser.add_argument("--log-file", type=Path, help="also write the log to this file")


def setup_logging(verbose: int = 0, log_file: Path | None = None) -> None:
    """Log to stderr (and optionally a file); every handler masks resolved secrets."""
    level = logging.WARNING - 10 * min(verbose, 2)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(fmt)
        handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(min(level, logging.INFO) if log_file else level)
    handlers[0].setLevel(level)
    for noisy in ("paramiko", "netmiko", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # Nornir logs every failed task with a traceback at ERROR; our reports already say what
    # failed and why, so its tracebacks only show with -vv.
    logging.getLogger("nornir").setLevel(logging.DEBUG if verbose >= 2 else logging.CRITICAL)


def interruptible() -> None:
    """Make SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt, whatever the run inherited.

    Deploy and failover turn Ctrl-C into "stop safely, undo what is unconfirmed". A
    scheduler's SIGTERM and a dropped terminal's SIGHUP (the operator's SSH session died) must
    do the same: by default both kill the process on the spot, leaving a drained primary or an
    unconfirmed change behind. A background job of a non-interactive shell (a CI step, ``cmd &``
    in a script) starts with SIGINT ignored, and Python then never raises KeyboardInterrupt:
    ``kill -INT`` would do nothing.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)


def _interrupt(signum: int, _frame: object) -> None:
    log.warning("%s received: stopping safely", signal.Signals(signum).name)
    raise KeyboardInterrupt


def fail(message: str, code: int = ExitCode.BAD_INPUT) -> NoReturn:
    """Print an error (secrets masked) to stderr and exit with ``code``."""
    print(f"error: {redact(message)}", file=sys.stderr)
    raise SystemExit(int(code))


def run_main(main: Callable[[A], int], argv: A) -> int:
    """Run a runbook's ``main(argv)`` and map what escapes it to the one exit-code table.

    The runbook's own return value (its verdict) is returned as it is. A
    :class:`~tasks.errors.ToolkitError` exits with its ``exit_code`` (1 unless its class says
    otherwise: 2 for bad input, 75 busy ...), Ctrl-C / SIGTERM / SIGHUP (``KeyboardInterrupt``)
    with 130, anything else, a bug, with 70 after its traceback. ``SystemExit`` (argparse,
    :func:`fail`) passes through. Every message goes to stderr with secrets masked.
    """
    try:
        return int(main(argv))
    except ToolkitError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", ExitCode.INTERRUPTED)
    except Exception as exc:
        print(redact(traceback.format_exc()), file=sys.stderr, end="")
        fail(f"internal error (a bug; please report it): {type(exc).__name__}: {exc}",
             ExitCode.INTERNAL)  # fmt: skip
    finally:
        close_all()  # the routers' sessions, reused by every task of the run, end with it


def exit_codes_help(runbook: str) -> str:
    """``runbook``'s exit codes, one per line, for its ``--help`` (from the one table)."""
    lines = []
    for code, text in sorted(RUNBOOK_CODES[runbook].items()):
        head = f"  {code:<4} "
        lines.append(textwrap.fill(text or SHARED[code].label, 94, initial_indent=head,
                                   subsequent_indent=" " * len(head)))  # fmt: skip
    return "\n".join(lines)


def exit_code_table() -> str:
    """The README's exit-code table (Markdown), generated from :mod:`tasks.errors`."""
    codes = sorted({code for table in RUNBOOK_CODES.values() for code in table})
    rows = ["| code | means | what each runbook says |", "|---|---|---|"]
    for code in codes:
        shared = SHARED[code].meaning if code in SHARED else "the runbook's own verdict"
        users = [(rb, table[code]) for rb, table in RUNBOOK_CODES.items() if code in table]
        said = [f"`{rb}`: {text}" for rb, text in users if text]
        plain = [f"`{rb}`" for rb, text in users if not text]
        if plain and len(users) == len(RUNBOOK_CODES):
            said.append("every other runbook" if said else "every runbook")
        else:
            said += plain
        rows.append(f"| {code} | {shared} | {'<br>'.join(said)} |")
    return "\n".join(rows)


def open_inventory(args: argparse.Namespace, connects: bool = False, keys: bool = False) -> Nornir:
    """Load, validate and filter the inventory; exit with a clear message when it is bad.

    A runbook that will connect to the routers passes ``connects`` (and a deploy ``keys``):
    their management addresses, and the key references, are then checked too
    (:func:`tasks.inputs.check_inputs`), so a bad one stops the run before any router.
    """
    try:
        nr = load(args.config)
        nr = select(nr, hosts=comma_list(args.hosts) or None, role=args.role, vpc=args.vpc)
        if connects and nr.inventory.hosts:
            check_inputs(nr.inventory.hosts.values(), keys=keys)
    except InventoryError as exc:
        fail(f"{exc}\nNothing was touched. Fix the inventory ({args.config}) and run again.")
    except ToolkitError as exc:
        fail(str(exc))
    if not nr.inventory.hosts:
        fail("no hosts match the filters (--hosts/--role/--vpc)")
    return nr


def print_json(payload: Any) -> None:
    """Emit a JSON report on stdout, secrets masked."""
    print(redact(json.dumps(payload, indent=2, sort_keys=True, default=str)))


def comma_list(value: str | None) -> Sequence[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []
