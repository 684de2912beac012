"""Turn Nornir results into what operators read: failures per host, tables, summaries."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence

from nornir.core.task import AggregatedResult

from tasks.secrets import redact


def stderr_progress(message: str) -> None:
    """A progress line on stderr, secrets masked. A closed or lost stderr (a dropped terminal,
    ``2>&-``, a pipe whose reader died) is no reason to stop: a run must still undo what it
    changed, so the line is dropped, never raised."""
    with contextlib.suppress(OSError, ValueError):  # EPIPE, EIO; ValueError: stderr closed
        print(redact(message), file=sys.stderr, flush=True)


def failures(results: AggregatedResult) -> dict[str, str]:
    """Host name to the first error of each failed host, as one line, secrets masked."""
    failed = {}
    for host, multi in results.items():
        if not multi.failed:
            continue
        error = next((r.exception for r in multi if r.exception is not None), None)
        text = f"{type(error).__name__}: {error}" if error else "failed"
        failed[host] = redact(text.strip().splitlines()[0] if text.strip() else text)
    return failed


def print_failures(failed: dict[str, str]) -> None:
    for host in sorted(failed):
        print(f"FAILED {host}: {failed[host]}", file=sys.stderr)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table (no colours: it must survive logs and e-mail)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return redact("\n".join(lines))


def junit_xml(suite: str, cases: Sequence[tuple[str, str, str, str]]) -> str:
    """JUnit XML for CI and schedulers: one test case per (classname, name, status, detail).

    ``status`` is ``pass``, ``fail`` (a failure), ``error`` (could not check) or ``skip``.
    """
    from xml.etree import ElementTree as ET

    counts = {s: sum(1 for c in cases if c[2] == s) for s in ("fail", "error", "skip")}
    root = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(cases)),
        failures=str(counts["fail"]),
        errors=str(counts["error"]),
        skipped=str(counts["skip"]),
    )
    for classname, name, status, detail in cases:
        case = ET.SubElement(root, "testcase", classname=classname, name=name)
        tag = {"fail": "failure", "error": "error", "skip": "skipped"}.get(status)
        if tag:
            ET.SubElement(case, tag, message=redact(detail)).text = redact(detail)
        elif detail:
            ET.SubElement(case, "system-out").text = redact(detail)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
