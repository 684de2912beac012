"""A failover run that dies or loses its terminal never leaves the primary drained (issue 17).

Before the drain the run arms a guard on the primary itself; the router ends the drain by
itself ``--hold + --guard-margin`` seconds after it began unless the run's fail-back disarmed
it. SIGHUP (a dropped SSH session) and SIGTERM are handled like Ctrl-C, and a closed stderr is
no reason to skip the undo. Each case is the real runbook in a subprocess, interrupted at a
point read from the router itself (the prepend in force, the sessions shut, the hold). Before
this, SIGKILL and SIGHUP left r1 prepended and shut until an operator ran deploy.py, and a
closed stderr raised BrokenPipeError past the undo.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from failover_helpers import LAB_CONFIG, leftovers, sessions_up

from tasks import PROJECT_ROOT
from tasks.lab import Lab

pytestmark = pytest.mark.lab

FAILOVER = PROJECT_ROOT / "runbooks" / "failover.py"
DEPLOY = PROJECT_ROOT / "runbooks" / "deploy.py"
VERIFY = PROJECT_ROOT / "runbooks" / "verify.py"
HOLD, MARGIN = 4, 12  # the guard fires 16 s after the drain began
GUARD_STATE = "/etc/vpc-ha/drain-guard.state"


def _failover(*extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(FAILOVER), "-c", str(LAB_CONFIG), "--no-aws", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def _wait_for(what: str, ready: Callable[[], bool], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _prepended(lab: Lab) -> bool:
    return any("as-path prepend" in line for line in leftovers(lab))


def _shut(lab: Lab) -> bool:
    return any(line.endswith(" shutdown") for line in leftovers(lab))


def _holding(proc: subprocess.Popen[str]) -> Callable[[], bool]:
    """Reads the run's progress until the hold began (then 1 s into it)."""

    def ready() -> bool:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        if line.startswith("hold ..."):
            time.sleep(1)
            return True
        assert line or proc.poll() is None, "the run ended before its hold"
        return False

    return ready


def _guard_state(lab: Lab) -> str:
    return lab.exec("r1", ["cat", GUARD_STATE]).stdout.strip()


def _back_by_itself(lab: Lab, bound: float) -> float:
    """Seconds from the drain's start (the guard's own record) until r1 carries the traffic
    again with nothing left of the drain."""
    since = None
    deadline = time.monotonic() + bound + 30
    while time.monotonic() < deadline:
        state = _guard_state(lab)
        if state and since is None:
            since = int(state.split()[0])
        if not leftovers(lab) and sessions_up(lab, "r1") and lab.vgw_best_path()["router"] == "r1":
            break
        time.sleep(0.2)
    assert since is not None, "no drain guard was armed on r1"
    return time.time() - since


def _verify_exit(lab: Lab) -> int:
    for _ in range(30):  # sessions and probes settle within seconds
        done = subprocess.run(
            [sys.executable, str(VERIFY), "-c", str(LAB_CONFIG), "--no-aws"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            return 0
        time.sleep(1)
    return done.returncode


POINTS: dict[str, Callable[[Lab, subprocess.Popen[str]], Callable[[], bool]]] = {
    "drain": lambda lab, _p: lambda: _prepended(lab) and not _shut(lab),
    "maintenance": lambda lab, _p: lambda: _shut(lab),
    "hold": lambda _lab, proc: _holding(proc),
}
#: ``make test`` interrupts each way at one point (the three points between them); the whole
#: matrix (every way at every point, about 4 minutes) runs with ``make lab-matrix``.
FULL = os.environ.get("VPC_HA_LAB_MATRIX") == "full"


def points(default: str) -> list[str]:
    return list(POINTS) if FULL else [default]


@pytest.mark.parametrize("point", points("maintenance"))
def test_sigkill_leaves_the_drain_to_the_router_s_own_guard(healthy_lab: Lab, point: str) -> None:
    lab = healthy_lab
    proc = _failover("--hold", str(HOLD), "--guard-margin", str(MARGIN))
    try:
        _wait_for(f"the run to reach {point}", POINTS[point](lab, proc))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert leftovers(lab), "killed too late: the run had already undone the drain"
        took = _back_by_itself(lab, HOLD + MARGIN)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"SIGKILL at {point}: primary back by itself {took:.1f}s after the drain began")
    assert took <= HOLD + MARGIN + 10, f"{took:.1f}s (guard {HOLD + MARGIN}s + 10 s to converge)"
    assert _guard_state(lab) == "", "the guard left its record behind"
    assert _verify_exit(lab) == 0


@pytest.mark.parametrize("point", points("drain"))
def test_sighup_restores_at_once_and_exits_130(healthy_lab: Lab, point: str) -> None:
    """A dropped terminal: SIGHUP, and the terminal's output gone with it."""
    lab = healthy_lab
    proc = _failover("--hold", "30")
    try:
        _wait_for(f"the run to reach {point}", POINTS[point](lab, proc))
        assert proc.stderr is not None and proc.stdout is not None
        proc.stderr.close()  # the terminal is gone: every later progress line hits EPIPE
        os.kill(proc.pid, signal.SIGHUP)
        code = proc.wait(timeout=120)
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130, out
    assert "primary restored" in out and "drain guard: disarmed" in out, out
    assert leftovers(lab) == [] and _guard_state(lab) == ""
    assert _verify_exit(lab) == 0


@pytest.mark.parametrize("point", points("hold"))
def test_closed_stderr_does_not_skip_the_undo(healthy_lab: Lab, point: str) -> None:
    lab = healthy_lab
    proc = _failover("--hold", str(HOLD), "--json")
    try:
        _wait_for(f"the run to reach {point}", POINTS[point](lab, proc))
        assert proc.stderr is not None and proc.stdout is not None
        proc.stderr.close()
        code = proc.wait(timeout=120)
        report = json.loads(proc.stdout.read())
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, report
    assert report["restored"] is True and report["guard"] == "disarmed after the fail-back"
    assert leftovers(lab) == [] and _guard_state(lab) == ""


def test_failover_holds_every_router_s_change_lock(healthy_lab: Lab) -> None:
    """deploy and failover exclude each other, and a second failover of the VPC is refused:
    before, both ran, and a deploy could change the backup in the middle of the test."""
    lab = healthy_lab
    proc = _failover("--hold", "8")
    try:
        _wait_for("the hold", _holding(proc))
        deploy = subprocess.run(
            [sys.executable, str(DEPLOY), "-c", str(LAB_CONFIG), "--hosts", "r2"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        second = subprocess.run(
            [sys.executable, str(FAILOVER), "-c", str(LAB_CONFIG), "--no-aws", "--hold", "1"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0
    assert deploy.returncode != 0
    assert "another run is changing this router (failover by" in deploy.stdout + deploy.stderr
    assert second.returncode == 3, second.stdout + second.stderr
    assert "another failover test" in second.stdout or "failover by" in second.stdout, second.stdout
    assert leftovers(lab) == []


def test_recover_ends_a_drain_now(healthy_lab: Lab) -> None:
    """``failover.py --recover`` ends what a killed run left, without waiting for the guard."""
    lab = healthy_lab
    proc = _failover("--hold", "30")
    try:
        _wait_for("the sessions shut", lambda: _shut(lab))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _guard_state(lab), "no guard armed"
    verify = subprocess.run(
        [sys.executable, str(VERIFY), "-c", str(LAB_CONFIG), "--no-aws", "--no-probe"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "failover drain in force since" in verify.stdout, verify.stdout
    started = time.monotonic()
    recover = subprocess.run(
        [sys.executable, str(FAILOVER), "-c", str(LAB_CONFIG), "--no-aws", "--recover"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    took = time.monotonic() - started
    assert recover.returncode == 0, recover.stdout + recover.stderr
    assert "failover drain in force since" in recover.stdout
    assert "drain guard disarmed" in recover.stdout
    assert leftovers(lab) == [] and _guard_state(lab) == ""
    print(f"--recover: primary path verified {took:.1f}s after it started")
