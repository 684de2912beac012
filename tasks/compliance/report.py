"""Compliance output: the operator's table, the ``--json`` payload and JUnit XML for CI.

JUnit maps one host to one ``testsuite`` and one rule to one ``testcase``: a rule with findings
is a ``failure`` (type = severity), a rule that was skipped or could not judge is ``skipped``
with the reason, so CI shows exactly what was and was not verified.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from tasks.compliance.engine import HostResult
from tasks.compliance.history import Fixed
from tasks.report import table
from tasks.secrets import redact


def text_report(
    results: Sequence[HostResult], fixed: Sequence[Fixed], show_drift: bool = True
) -> str:
    """Findings table, fix hints per rule, what was fixed, drift diffs, and a summary line."""
    out: list[str] = []
    rows = [
        (f.host, f.severity, f.rule, f.where, f.value, _status(f.status, f.since))
        for r in results
        for f in sorted(r.findings, key=lambda f: (-_rank(f.severity), f.rule, f.where))
    ]
    if rows:
        out.append(table(("host", "severity", "rule", "where", "value", "status"), rows))
        hints: dict[str, tuple[str, str]] = {}
        for r in results:
            for f in r.findings:
                hints.setdefault(f.rule, (f.message.split(": ")[0], f.fix))
        out.append("")
        for rule in sorted(hints):
            message, fix = hints[rule]
            out.append(f"{rule}: {message}\n    fix: {fix}")
    if fixed:
        out.append("")
        out.append(
            table(
                ("fixed host", "rule", "where", "open since", "fixed at"),
                [(x.host, x.rule, x.where, x.first_seen, x.resolved_at) for x in fixed],
            )
        )
    if show_drift:
        for r in results:
            if r.drift:
                out.append(f"\n--- drift {r.host} (intended -> running) ---\n{r.drift}")
    out.append("")
    out.append(summary(results, fixed))
    return redact("\n".join(out))


def summary(results: Sequence[HostResult], fixed: Sequence[Fixed]) -> str:
    findings = [f for r in results for f in r.findings]
    new = sum(1 for f in findings if f.status == "new")
    failed = sum(1 for r in results if r.error)
    clean = sum(1 for r in results if not r.findings)
    return (
        f"{len(results)} host(s): {clean} compliant, {failed} not checkable; "
        f"{len(findings)} finding(s), {new} new, {len(findings) - new} standing, "
        f"{len(fixed)} fixed"
    )


def _status(status: str, since: str | None) -> str:
    if status == "standing" and since:
        return f"standing since {since}"
    return status


def _rank(severity: str) -> int:
    return ("info", "low", "medium", "high", "critical").index(severity)


def json_payload(
    results: Sequence[HostResult], fixed: Sequence[Fixed], worst: str | None, exit_code: int
) -> dict[str, Any]:
    """Everything the table shows, plus unjudged and skipped rules per host."""
    return {
        "worst_severity": worst,
        "exit_code": exit_code,
        "hosts": {
            r.host: {
                "platform": r.platform,
                "form": r.form,
                "error": r.error,
                "findings": [f.as_dict() for f in r.findings],
                "evaluated": r.evaluated,
                "skipped": r.skipped,
                "unjudged": [{"rule": rule, "reason": why} for rule, why in r.unjudged],
                "drift": r.drift,
            }
            for r in results
        },
        "fixed": [x.__dict__ for x in fixed],
        "summary": summary(results, fixed),
    }


def junit_xml(results: Sequence[HostResult]) -> str:
    """JUnit XML: suite per host, case per rule; failures carry value, where and fix hint."""
    suites = ET.Element("testsuites", name="compliance")
    for r in results:
        suite = ET.SubElement(suites, "testsuite", name=r.host)
        by_rule: dict[str, list[str]] = {}
        for f in r.findings:
            by_rule.setdefault(f.rule, []).append(f"{f.where}: {f.value} [{f.severity}]")
        unjudged: dict[str, list[str]] = {}
        for rule, why in r.unjudged:
            unjudged.setdefault(rule, []).append(why)
        cases = failures = skipped = 0
        for rule in [*r.evaluated, *r.skipped]:
            case = ET.SubElement(suite, "testcase", classname=r.host, name=rule)
            cases += 1
            if rule in by_rule:
                failures += 1
                first = next(f for f in r.findings if f.rule == rule)
                node = ET.SubElement(case, "failure", type=first.severity, message=first.message)
                node.text = "\n".join([*by_rule[rule], f"fix: {first.fix}"])
                if rule == "config-drift" and r.drift:
                    node.text += "\n" + r.drift
            elif rule in r.skipped or rule in unjudged:
                skipped += 1
                reason = r.skipped.get(rule) or "; ".join(unjudged[rule])
                ET.SubElement(case, "skipped", message=reason)
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        suite.set("errors", "1" if r.error else "0")
    ET.indent(suites)
    return redact(ET.tostring(suites, encoding="unicode", xml_declaration=True)) + "\n"
