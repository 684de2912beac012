"""The command line: sources, output formats, history across runs, exit codes, the lock."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from conftest import REFERENCE, inventory_config, inventory_routers
from script_loader import load_runbook

from tasks.compliance.lock import RunLock
from tasks.render import render_router, write_files

RUNBOOK = Path(__file__).resolve().parents[2] / "runbooks" / "compliance.py"


def runbook() -> ModuleType:
    return load_runbook("compliance")


def run(argv: list[str]) -> int:
    try:
        return int(runbook().main(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture
def reference_dir(tmp_path: Path) -> Path:
    target = tmp_path / "saved"
    target.mkdir()
    for name in ("router1.boot", "router2.set"):
        shutil.copy(REFERENCE / name, target / name)
    return target


def test_offline_reference_exits_high_with_table_and_junit(
    tmp_path: Path, reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    history = tmp_path / "h.sqlite"
    argv = ["--from-dir", str(reference_dir), "--no-inventory", "--history", str(history)]
    assert run([*argv, "--junit", str(junit)]) == 5
    out = capsys.readouterr().out
    assert (
        "bgp-weight-range" in out and "fix:" in out and "25 finding(s), 25 new" in out
    )  # set form: NTP masked to 1; 4 of them bgp-export-filter (no export filter on 4 sessions)
    suites = ET.parse(junit).getroot()
    router2 = suites.find("testsuite[@name='router2']")
    assert router2 is not None
    failed = {c.get("name") for c in router2.iter("testcase") if c.find("failure") is not None}
    assert {"bgp-weight-as-preference", "bgp-weight-range", "ipsec-weak-crypto"} <= failed
    skipped = {c.get("name") for c in router2.iter("testcase") if c.find("skipped") is not None}
    assert "tunnel-inside-cidr" in skipped  # masked addresses: not judged, and says so

    assert run([*argv, "--json"]) == 5
    payload = json.loads(capsys.readouterr().out)
    statuses = {f["status"] for h in payload["hosts"].values() for f in h["findings"]}
    assert statuses == {"standing"}
    assert payload["worst_severity"] == "high" and payload["exit_code"] == 5


def test_fixed_findings_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    text = (REFERENCE / "router2.set").read_text()
    (saved / "router2.set").write_text(text)
    argv = ["--from-dir", str(saved), "--no-inventory", "--history", str(tmp_path / "h.sqlite")]
    run(argv)
    (saved / "router2.set").write_text(text.replace("set weight '65536'", "set metric '200'"))
    capsys.readouterr()
    run([*argv, "--json"])
    fixed = {x["rule"] for x in json.loads(capsys.readouterr().out)["fixed"]}
    assert fixed == {"bgp-weight-as-preference", "bgp-weight-range"}


def test_intended_configs_of_our_inventory_are_compliant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = inventory_config(tmp_path / "inv", "frr")
    assert run(["--config", str(config), "--intended", "--junit", str(tmp_path / "j.xml")]) == 0
    assert "3 host(s): 3 compliant" in capsys.readouterr().out


def test_drift_against_inventory_with_secret_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = inventory_config(tmp_path / "inv", "vyos")
    out_dir = tmp_path / "saved"
    # The saved "running" configs start as what deploy renders (the --output-dir layout).
    for name, router in inventory_routers(tmp_path / "inv2", "vyos").items():
        write_files(render_router(router), out_dir / name)
    running = out_dir / "r2" / "config.set"
    secret = "RunningKeyOnTheBox42"
    text = running.read_text().replace("secret '********'", f"secret '{secret}'", 1)
    running.write_text(text + "set policy route-map TO-AWS rule 10 set weight '100'\n")
    capsys.readouterr()
    code = run(["--config", str(config), "--from-dir", str(out_dir), "--no-history", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 5
    r2 = payload["hosts"]["r2"]
    assert "+set policy route-map TO-AWS rule 10 set weight 100" in r2["drift"]
    assert {f["rule"] for f in r2["findings"]} == {"config-drift", "bgp-weight-as-preference"}
    assert payload["hosts"]["r1"]["findings"] == []
    assert secret not in json.dumps(payload)


def test_overlapping_run_refuses_with_its_own_exit_code(
    tmp_path: Path, reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "run.lock"
    with RunLock(lock):
        code = run(["--from-dir", str(reference_dir), "--no-history", "--lock-file", str(lock)])
    assert code == 75
    assert "refusing to overlap" in capsys.readouterr().err


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--from-dir", str(tmp_path / "missing"), "--no-history"]) == 2
    assert run(["--from-dir", str(REFERENCE), "--no-inventory", "--hosts", "nope"]) == 2
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\nrules: []\n")
    assert run(["--from-dir", str(REFERENCE), "--no-history", "--policy", str(bad)]) == 2
    assert "is missing" in capsys.readouterr().err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for text in ("--from-dir", "--junit", "--history", "--policy", "75", "critical"):
        assert text in out
