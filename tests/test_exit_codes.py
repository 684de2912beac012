"""One exit-code table (``tasks/errors.py``), and every runbook follows it.

The runbooks are started as separate processes on inputs that need no lab and no network
(``--help``, a bad option, a missing or malformed inventory, a held lock, no AWS credentials):
each is refused before any device or AWS API is asked. ``lab.py`` and ``demo.py`` build the
lab and are not started here (``tests/lab/test_lab_static.py`` and ``tests/test_not_root.py``
check their refusals); their codes are checked against the table by import.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from inventory_factory import PSK_ENV, base_hosts, write_inventory
from script_loader import load_runbook

from tasks import PROJECT_ROOT
from tasks.cli import exit_code_table, exit_codes_help, run_main
from tasks.errors import (
    RUNBOOK_CODES,
    SHARED,
    BadInput,
    ExitCode,
    InventoryError,
    ToolkitError,
    codes_text,
)

RUNBOOKS = PROJECT_ROOT / "runbooks"
REFERENCE = PROJECT_ROOT / "tests" / "compliance" / "fixtures" / "reference"
#: Per runbook: arguments that reach its inventory and contact nothing (no device, no AWS).
OFFLINE = {
    "deploy": ["--render-only"],
    "verify": ["--no-aws", "--no-probe"],
    "failover": ["--no-aws"],
    "compliance": ["--no-history", "--intended"],
    "aws": ["template"],
}


def code_of(runbook: str) -> dict[int, str]:
    return RUNBOOK_CODES[f"{runbook}.py"]


# --- the table itself ------------------------------------------------------------------------


def test_readme_table_is_the_generated_one() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- exit-codes:[^>]*-->\n(.*?)\n<!-- /exit-codes -->", readme, re.S)
    assert found, "README.md has no generated exit-code table"
    assert found.group(1) == exit_code_table(), (
        "README.md's exit-code table differs from tasks/errors.py: paste "
        "`python -c 'from tasks.cli import exit_code_table; print(exit_code_table())'`"
    )


@pytest.mark.parametrize("runbook", sorted(RUNBOOK_CODES))
def test_every_runbook_has_the_shared_codes_and_verdicts_only_between_3_and_69(
    runbook: str,
) -> None:
    codes = RUNBOOK_CODES[runbook]
    for shared in (ExitCode.OK, ExitCode.BAD_INPUT, ExitCode.INTERNAL, ExitCode.INTERRUPTED):
        assert shared in codes, f"{runbook} lacks {shared.name}"
    for code in codes:
        assert code in SHARED or 3 <= code <= 69, f"{runbook}: {code} is neither shared nor 3..69"


def test_the_codes_scattered_in_the_tasks_are_the_tables() -> None:
    from tasks.aws import maintenance as m
    from tasks.failover import records, recover
    from tasks.verify import report as verify

    assert {verify.EXIT_HEALTHY, verify.EXIT_DEGRADED, verify.EXIT_PRIMARY,
            verify.EXIT_UNVERIFIED} <= set(code_of("verify"))  # fmt: skip
    assert set(records.EXIT_CODES.values()) | {records.EXIT_BAD_INPUT} <= set(code_of("failover"))
    assert records.EXIT_BAD_INPUT == ExitCode.BAD_INPUT
    assert records.EXIT_INTERRUPTED == ExitCode.INTERRUPTED
    assert {recover.EXIT_PASSED, recover.EXIT_RESTORE_FAILED, records.EXIT_REFUSED} <= set(
        RUNBOOK_CODES["failover.py --recover"]
    )
    everywhere = {ExitCode.INTERNAL, ExitCode.INTERRUPTED}
    status = {m.EXIT_OK, m.EXIT_PENDING, m.EXIT_BAD_INPUT, m.EXIT_UNASKED}
    assert status == set(RUNBOOK_CODES["aws.py maintenance status"]) - everywhere
    apply = {m.EXIT_OK, m.EXIT_FAILED_AFTER, m.EXIT_BAD_INPUT, m.EXIT_UNASKED, m.EXIT_REFUSED}
    assert apply == set(RUNBOOK_CODES["aws.py maintenance apply"]) - everywhere
    assert m.EXIT_CODES["status"] == codes_text("aws.py maintenance status")
    compliance = load_runbook("compliance")
    assert set(compliance.EXIT_BY_SEVERITY.values()) <= set(code_of("compliance"))
    assert compliance.EXIT_LOCKED == ExitCode.BUSY
    lab, demo = load_runbook("lab"), load_runbook("demo")
    assert (lab.EXIT_OK, lab.EXIT_FAILED, lab.EXIT_REFUSED) == (0, 1, 2)
    assert demo.EXIT_LAB == ExitCode.BAD_INPUT


def test_errors_carry_their_exit_codes() -> None:
    from tasks.aws.session import AwsCredentialsError, AwsError
    from tasks.compliance.history import HistoryError
    from tasks.compliance.lock import AlreadyRunning
    from tasks.compliance.policy import PolicyError
    from tasks.observers import ObserverError

    assert ToolkitError("x").exit_code == ExitCode.FAILED
    assert AwsError("x").exit_code == ExitCode.FAILED  # aws.py: "the AWS operation failed"
    assert HistoryError("x").exit_code == ExitCode.FAILED  # not bad input: the options were fine
    for bad in (BadInput("x"), InventoryError([]), PolicyError("x"), ObserverError("x")):
        assert bad.exit_code == ExitCode.BAD_INPUT, type(bad).__name__
    assert AlreadyRunning("x").exit_code == ExitCode.BUSY
    # Not a BadInput by class (tasks/aws/session.py): aws.py re-raises it as one.
    assert not isinstance(AwsCredentialsError("x"), BadInput)


# --- run_main: the one mapping ---------------------------------------------------------------


def _raises(exc: BaseException) -> Callable[[None], int]:
    def main(_argv: None) -> int:
        raise exc

    return main


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ToolkitError("an operation failed"), ExitCode.FAILED),
        (BadInput("no such option value"), ExitCode.BAD_INPUT),
        (InventoryError([]), ExitCode.BAD_INPUT),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (RuntimeError("a bug"), ExitCode.INTERNAL),
        (SystemExit(3), 3),  # argparse, fail(): passed through
    ],
)
def test_run_main_maps_what_escapes(
    exc: BaseException, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        run_main(_raises(exc), None)
    assert exited.value.code == code
    err = capsys.readouterr().err
    assert ("Traceback" in err) == (code == ExitCode.INTERNAL), err


def test_run_main_returns_the_verdict() -> None:
    assert run_main(lambda argv: 5, None) == 5


def test_verify_interrupted_exits_130_not_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    verify = load_runbook("verify")

    def interrupted(*_args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(verify, "open_inventory", lambda *a, **k: object())
    monkeypatch.setattr(verify, "extra_checks", lambda *a, **k: [])
    monkeypatch.setattr(verify, "run_verify", interrupted)
    with pytest.raises(SystemExit) as exited:
        verify.main(["--no-aws"])
    assert exited.value.code == ExitCode.INTERRUPTED
    assert "nothing verified" in capsys.readouterr().err


def test_aws_inventory_with_no_config_is_bad_input_as_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was 1 (a plain ToolkitError read as "the AWS operation failed"), 2 everywhere else."""
    from moto import mock_aws

    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "eu-west-1")):  # fmt: skip
        monkeypatch.setenv(var, value)
    with mock_aws(), pytest.raises(SystemExit) as exited:
        load_runbook("aws").main(["-c", str(tmp_path / "missing.yaml"), "inventory"])
    assert exited.value.code == ExitCode.BAD_INPUT
    assert "not found" in capsys.readouterr().err


# --- each runbook, as a process --------------------------------------------------------------


def _env(home: Path) -> dict[str, str]:
    """No AWS credentials or config, no instance metadata; the test inventory's keys set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    none = str(home / "none")
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true", XDG_STATE_HOME=str(home),
               AWS_CONFIG_FILE=none, AWS_SHARED_CREDENTIALS_FILE=none)  # fmt: skip
    env.update({var: "key-value-1234" for var in PSK_ENV.values()})
    return env


def _inventories(root: Path) -> dict[str, Path]:
    """Nornir configs: missing, not YAML, a host breaking a rule."""
    broken_yaml = write_inventory(root / "yaml", base_hosts())
    (root / "yaml" / "hosts.yaml").write_text("r1: {hostname: [unclosed\n")
    hosts = base_hosts()
    hosts["r2"]["data"]["asn"] = "not-a-number"
    return {
        "missing": root / "missing" / "config.yaml",
        "not-yaml": broken_yaml,
        "broken-rule": write_inventory(root / "rule", hosts),
    }


CASES = ["help", "bad-option", "missing", "not-yaml", "broken-rule"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Any]]:
    """Every (runbook, case) started at once (each process is ~1 s of imports), then awaited."""
    root = tmp_path_factory.mktemp("exit-codes")
    configs = _inventories(root)
    env = _env(root)
    started: dict[tuple[str, str], subprocess.Popen[str]] = {}
    for runbook, offline in OFFLINE.items():
        for case in CASES:
            if case == "help":
                argv = ["--help"]
            elif case == "bad-option":
                argv = ["--no-such-option", *offline]
            else:
                argv = ["-c", str(configs[case]), *offline]
            if runbook == "compliance" and case != "help":  # run at once: a lock each
                argv += ["--lock-file", str(root / f"{case}.lock")]
            started[runbook, case] = subprocess.Popen(
                [sys.executable, str(RUNBOOKS / f"{runbook}.py"), *argv],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                cwd=root,
            )  # fmt: skip
    done = {}
    for key, proc in started.items():
        out, err = proc.communicate(timeout=120)
        done[key] = (proc.returncode, out, err)
    yield done


@pytest.mark.parametrize("runbook", sorted(OFFLINE))
def test_help_exits_0_and_prints_the_tables_codes(
    runs: dict[tuple[str, str], Any], runbook: str
) -> None:
    code, out, err = runs[runbook, "help"]
    assert code == ExitCode.OK, err
    if runbook == "aws":  # its codes are on one line per command (the epilog wraps them)
        text = " ".join(out.split())
        assert " ".join(codes_text("aws.py").split()) in text
        return
    assert exit_codes_help(f"{runbook}.py") in out


@pytest.mark.parametrize("case", CASES[1:])
@pytest.mark.parametrize("runbook", sorted(OFFLINE))
def test_bad_input_exits_2_without_a_traceback(
    runs: dict[tuple[str, str], Any], runbook: str, case: str
) -> None:
    code, out, err = runs[runbook, case]
    assert code == ExitCode.BAD_INPUT, f"{runbook} {case}: exit {code}\n{out}{err}"
    assert "Traceback" not in err
    said = {"bad-option": "unrecognized arguments", "missing": "not found",
            "not-yaml": "not valid YAML", "broken-rule": "r2: asn = 'not-a-number'"}  # fmt: skip
    assert said[case] in err, err


def test_compliance_exits_75_when_another_run_holds_the_lock(tmp_path: Path) -> None:
    from tasks.compliance.lock import RunLock

    lock = tmp_path / "run.lock"
    with RunLock(lock):
        run = subprocess.run(
            [sys.executable, str(RUNBOOKS / "compliance.py"), "--from-dir", str(REFERENCE),
             "--no-inventory", "--no-history", "--lock-file", str(lock)],
            capture_output=True, text=True, timeout=120, env=_env(tmp_path), check=False,
        )  # fmt: skip
    assert run.returncode == ExitCode.BUSY, run.stderr


def test_compliance_history_that_cannot_be_written_exits_1_not_2(tmp_path: Path) -> None:
    """Was 2 ("bad input"): the options were fine, the run failed."""
    (tmp_path / "file").write_text("a file, not a folder")
    run = subprocess.run(
        [sys.executable, str(RUNBOOKS / "compliance.py"), "--from-dir", str(REFERENCE),
         "--no-inventory", "--history", str(tmp_path / "file" / "h.sqlite"),
         "--lock-file", str(tmp_path / "run.lock")],
        capture_output=True, text=True, timeout=120, env=_env(tmp_path), check=False,
    )  # fmt: skip
    assert run.returncode == ExitCode.FAILED, run.stderr
    assert "cannot open history" in run.stderr and "Traceback" not in run.stderr


def test_aws_without_credentials_exits_2_before_asking_aws(tmp_path: Path) -> None:
    config = write_inventory(tmp_path / "inv", base_hosts())
    run = subprocess.run(
        [sys.executable, str(RUNBOOKS / "aws.py"), "-c", str(config), "stack", "status"],
        capture_output=True, text=True, timeout=120, env=_env(tmp_path), check=False,
    )  # fmt: skip
    assert run.returncode == ExitCode.BAD_INPUT, run.stderr
    assert "Traceback" not in run.stderr
