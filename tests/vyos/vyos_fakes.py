"""Fake router hooks for the VyOS shell tests: loaded by ``module:attribute`` spec in the shell's
(and its timer's) own process, so every call is written to a file the test reads.

Environment: ``VYOS_FAKE_LOG`` (one JSON object per call), ``VYOS_FAKE_FAIL`` (while that file
exists the backend refuses every config, with the file's text as VyOS's message),
``VYOS_FAKE_SAS`` (what ``swanctl --list-sas`` prints).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasks.lab.vyos.hooks import CommitFailed, RunnerError

LOG_ENV, FAIL_ENV, SAS_ENV = "VYOS_FAKE_LOG", "VYOS_FAKE_FAIL", "VYOS_FAKE_SAS"


def _record(call: dict[str, Any]) -> None:
    with Path(os.environ[LOG_ENV]).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({**call, "pid": os.getpid()}) + "\n")


def backend(version: str, entries: frozenset[tuple[str, ...]]) -> None:
    """Records the config it is asked to apply; refuses it while the fail file exists."""
    fail = Path(os.environ.get(FAIL_ENV, "/nonexistent"))
    refused = fail.exists()
    _record({"call": "backend", "version": version, "entries": sorted(map(list, entries)),
             "refused": refused})  # fmt: skip
    if refused:
        raise CommitFailed("protocols bgp", fail.read_text(encoding="utf-8").strip())


def runner(argv: Sequence[str]) -> str:
    """vtysh echoes its command; swanctl lists the fixture's SAs; anything else fails."""
    _record({"call": "runner", "argv": list(argv)})
    if argv[0] == "vtysh":
        return f"vtysh says: {argv[2]}\n"
    if argv[0] == "swanctl" and argv[1] == "--list-sas":
        return Path(os.environ[SAS_ENV]).read_text(encoding="utf-8")
    if argv[0] == "swanctl":
        return ""
    raise RunnerError(f"{argv[0]}: not on this router")


def calls(log: Path, kind: str | None = None) -> list[dict[str, Any]]:
    """The calls recorded in ``log`` (of one ``kind``), in order."""
    if not log.exists():
        return []
    found = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return [c for c in found if kind is None or c["call"] == kind]
