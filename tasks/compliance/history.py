"""Findings history in SQLite: what is new, what was fixed, and since when a finding stands.

One row per (host, rule, fingerprint) with ``first_seen``, ``last_seen`` and ``resolved_at``.
A run only resolves findings it could have seen again: hosts it judged (not failed) and rules
it evaluated on them, so ``--hosts r1`` never marks r2's findings fixed, and an unreachable
router keeps its findings open. A finding that comes back after being fixed starts anew.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tasks.compliance.engine import HostResult
from tasks.errors import ToolkitError

SCHEMA = """
CREATE TABLE IF NOT EXISTS findings (
    host TEXT NOT NULL,
    rule TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    severity TEXT NOT NULL,
    location TEXT NOT NULL,
    value TEXT NOT NULL,
    message TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (host, rule, fingerprint)
);
CREATE INDEX IF NOT EXISTS findings_open ON findings (host, resolved_at);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    mode TEXT NOT NULL,
    hosts INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    worst TEXT
);
"""


class HistoryError(ToolkitError):
    """The history database cannot be opened or written."""


@dataclass(frozen=True)
class Fixed:
    """A finding that was open before this run and is gone now."""

    host: str
    rule: str
    severity: str
    where: str
    value: str
    first_seen: str
    resolved_at: str


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class History:
    """The findings store. Use as a context manager; every run is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path)
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot open history {path}: {exc}") from exc

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def record(
        self, results: Iterable[HostResult], mode: str, at: str | None = None
    ) -> list[Fixed]:
        """Store a run: mark findings new/standing (sets ``status``/``since`` on each), and
        resolve open ones this run could have seen but did not. Returns what was fixed."""
        at = at or now()
        results = list(results)
        fixed: list[Fixed] = []
        try:
            with self.db:
                for result in results:
                    fixed.extend(self._record_host(result, at))
                total = sum(len(r.findings) for r in results)
                worst = next(
                    (s for s in ("critical", "high", "medium", "low", "info")
                     if any(f.severity == s for r in results for f in r.findings)),
                    None,
                )  # fmt: skip
                self.db.execute(
                    "INSERT INTO runs (started_at, mode, hosts, findings, worst) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (at, mode, len(results), total, worst),
                )
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot write history {self.path}: {exc}") from exc
        return fixed

    def _record_host(self, result: HostResult, at: str) -> list[Fixed]:
        seen: set[tuple[str, str]] = set()
        for f in result.findings:
            seen.add((f.rule, f.fingerprint))
            row = self.db.execute(
                "SELECT first_seen, resolved_at FROM findings "
                "WHERE host = ? AND rule = ? AND fingerprint = ?",
                (f.host, f.rule, f.fingerprint),
            ).fetchone()
            if row is None or row[1] is not None:
                f.status, f.since = "new", at
                self.db.execute(
                    "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    (f.host, f.rule, f.fingerprint, f.severity, f.where, f.value, f.message,
                     at, at),
                )  # fmt: skip
            else:
                f.status, f.since = "standing", row[0]
                self.db.execute(
                    "UPDATE findings SET last_seen = ?, severity = ?, value = ?, message = ? "
                    "WHERE host = ? AND rule = ? AND fingerprint = ?",
                    (at, f.severity, f.value, f.message, f.host, f.rule, f.fingerprint),
                )
        if result.error is not None:
            return []  # could not look: nothing can be called fixed
        fixed = []
        rows = self.db.execute(
            "SELECT rule, fingerprint, severity, location, value, first_seen FROM findings "
            "WHERE host = ? AND resolved_at IS NULL",
            (result.host,),
        ).fetchall()
        evaluated = set(result.evaluated) | {"check-failed"}
        for rule, fp, severity, where, value, first_seen in rows:
            if rule in evaluated and (rule, fp) not in seen:
                self.db.execute(
                    "UPDATE findings SET resolved_at = ? "
                    "WHERE host = ? AND rule = ? AND fingerprint = ?",
                    (at, result.host, rule, fp),
                )
                fixed.append(Fixed(result.host, rule, severity, where, value, first_seen, at))
        return fixed

    def open_findings(self, host: str | None = None) -> list[tuple[str, str, str, str]]:
        """(host, rule, location, first_seen) of every open finding, for inspection."""
        query = "SELECT host, rule, location, first_seen FROM findings WHERE resolved_at IS NULL"
        args: tuple[str, ...] = ()
        if host:
            query += " AND host = ?"
            args = (host,)
        return list(self.db.execute(query + " ORDER BY host, rule", args))
