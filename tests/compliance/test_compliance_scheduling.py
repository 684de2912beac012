"""Scheduling files agree with the runbook's exit codes; the benchmark runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from script_loader import load_runbook, load_script

ROOT = Path(__file__).resolve().parents[2]


def test_systemd_unit_treats_findings_and_overlap_as_results_not_failures() -> None:
    runbook = load_runbook("compliance")
    unit = (ROOT / "deploy" / "systemd" / "vpc-ha-compliance.service").read_text()
    found = re.search(r"^SuccessExitStatus=(.+)$", unit, re.MULTILINE)
    assert found
    declared = {int(code) for code in found.group(1).split()}
    expected = {c for c in runbook.EXIT_BY_SEVERITY.values() if c} | {runbook.EXIT_LOCKED}
    assert declared == expected
    timer = (ROOT / "deploy" / "systemd" / "vpc-ha-compliance.timer").read_text()
    assert "OnCalendar=hourly" in timer
    cron = (ROOT / "deploy" / "cron" / "vpc-ha-compliance").read_text()
    assert "runbooks/compliance.py" in cron and "--lock-file" in cron


def test_bench_runs_and_reports_rate(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_script(ROOT / "bench" / "compliance.py", "compliance_bench")
    assert bench.main(["--count", "30"]) == 0
    assert re.search(r"\d+ configs/s", capsys.readouterr().out)
