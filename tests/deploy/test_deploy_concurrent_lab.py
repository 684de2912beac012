"""Two deploys of one router at once: the router's change lock lets exactly one change it.

Before the lock, both runs armed a rollback timer, the second overwrote the first's record,
one reported success while its change was not on the router, and the orphaned timer reverted a
later, confirmed deploy. Now the second run fails on that router at once, before its diff,
saying another run is changing it; exactly one change is confirmed and no timer is left.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from tasks import PROJECT_ROOT
from tasks.drivers import driver_for
from tasks.drivers.base import LockedError
from tasks.inventory import load
from tasks.lab import Lab

pytestmark = pytest.mark.lab

RUNBOOK = PROJECT_ROOT / "runbooks" / "deploy.py"


def no_pending_timer(lab: Lab, router: str) -> bool:
    proc = lab.exec(router, ["sh", "-c", "test -s /etc/vpc-ha/rollback.pid && "
                                         "kill -0 $(cat /etc/vpc-ha/rollback.pid)"])  # fmt: skip
    return proc.returncode != 0


def test_the_change_lock_is_held_by_one_session_and_freed_by_close(configured_lab: Lab) -> None:
    """Two runs (two SSH sessions of their own) cannot both hold a router's lock; a driver's
    close frees it even though the run keeps its session for the next task."""
    host = load(configured_lab.config_file).inventory.hosts["r2"]
    first, second = driver_for(host), driver_for(host)
    first.open()  # the run's shared session
    second.open(dedicated=True)  # another run's
    try:
        first.lock("first test session")
        with pytest.raises(LockedError, match=r"another run is changing this router \(first test"):
            second.lock("second test session")
    finally:
        first.close()
    assert host.connections["vpcha"].alive(), "the run's session outlives the driver"
    try:
        second.lock("second test session")  # at once: no wait for sshd to end a session
    finally:
        second.close()


def test_two_concurrent_deploys_of_one_router_change_it_once(configured_lab: Lab) -> None:
    lab = configured_lab
    lab.factory_reset("r2")
    argv = [sys.executable, str(RUNBOOK), "-c", str(lab.config_file), "--hosts", "r2", "--json",
            "--confirm-timeout", "60", "--settle-timeout", "20"]  # fmt: skip
    results: list[subprocess.CompletedProcess[str]] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        results.append(subprocess.run(argv, capture_output=True, text=True, timeout=180,
                                      check=False))  # fmt: skip

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.returncode for r in results)
    outputs = "".join(r.stdout + r.stderr for r in results)
    assert codes == [0, 1], outputs
    assert outputs.count('"status": "changed"') == 1, outputs
    assert "another run is changing this router" in outputs
    assert no_pending_timer(lab, "r2")
    lab.wait_ready(configured=True, timeout=60)


def test_a_killed_deploy_leaves_a_pending_change_that_dry_run_shows_and_rollback_ends(
    configured_lab: Lab,
) -> None:
    """SIGKILL after apply: the router is half-applied until its timer fires. A dry run says
    so and when it reverts, a new deploy refuses to stack on it, and --rollback ends it now."""
    lab = configured_lab
    lab.factory_reset("r2")
    argv = [sys.executable, str(RUNBOOK), "-c", str(lab.config_file), "--hosts", "r2",
            "--confirm-timeout", "300", "--settle-timeout", "30"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "applying" in line:
            break
    time.sleep(3)  # inside apply or the post-check: the timer is armed
    proc.kill()
    proc.wait(timeout=30)
    assert not no_pending_timer(lab, "r2")

    dry = subprocess.run([*argv[:6], "--dry-run"], capture_output=True, text=True, timeout=120,
                         check=False)  # fmt: skip
    assert "an unconfirmed change is pending: it rolls back by itself at " in dry.stdout, dry
    verify = subprocess.run([sys.executable, str(RUNBOOK.parent / "verify.py"), *argv[2:6],
                             "--no-aws", "--no-probe", "--json"], capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    pending = [c for c in json.loads(verify.stdout)["checks"] if c["check"] == "pending_change"]
    assert verify.returncode != 0 and [c["target"] for c in pending] == ["r2"], verify.stdout
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 1 and "deploy.py --rollback --hosts r2" in again.stdout, again
    undo = subprocess.run([*argv[:6], "--rollback"], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert undo.returncode == 0 and "rolled back" in undo.stdout, undo.stdout + undo.stderr
    assert no_pending_timer(lab, "r2")
    assert "router bgp" not in lab.vtysh("r2", "show running-config")  # factory state again
    nothing = subprocess.run([*argv[:6], "--confirm"], capture_output=True, text=True,
                             timeout=120, check=False)  # fmt: skip
    assert nothing.returncode == 0 and "no unconfirmed change" in nothing.stdout
