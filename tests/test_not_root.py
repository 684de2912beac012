"""Without root, what needs root refuses cleanly (exit 2, what needs root and the fix), before
any router is touched: verify and failover with the lab observer, and the demo.

Run for real as an unprivileged user (``setpriv --reuid=nobody``), not with a faked euid: the
runbooks are started as separate processes, on an inventory of loopback routers on a closed
port (nothing answers; nothing leaves the machine). Needs root to drop to ``nobody``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from inventory_factory import PSK_ENV, base_hosts, write_inventory

from tasks import PROJECT_ROOT

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root (to run the runbooks as nobody) and setpriv",
)

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


@pytest.fixture
def lab_kind_config() -> Iterator[Path]:
    """A Nornir config naming the lab observer, on loopback routers at a closed port, in a
    folder ``nobody`` can read."""
    folder = Path(tempfile.mkdtemp(prefix="vpc-ha-not-root-"))
    folder.chmod(0o755)
    hosts = base_hosts()
    for index, host in enumerate(hosts.values(), start=11):
        host["hostname"] = f"127.0.0.{index}"
        host["port"] = 9  # discard: closed here; nothing may answer
    config = write_inventory(folder, hosts)
    conf = yaml.safe_load(config.read_text())
    conf["user_defined"] = {"probe": {"kind": "lab"}, "aws": {"enabled": False}}
    config.write_text(yaml.safe_dump(conf))
    for path in folder.iterdir():
        path.chmod(0o644)
    try:
        yield config
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_nobody(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent",
           "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    env.update({var: "key-value-1234" for var in PSK_ENV.values()})
    return subprocess.run([*NOBODY, sys.executable, *argv], capture_output=True, text=True,
                          timeout=120, check=False, env=env, cwd="/")  # fmt: skip


@pytest.mark.parametrize(
    ("runbook", "args"),
    [("verify", ["--no-aws"]), ("failover", ["--no-aws", "--hold", "0"])],
)
def test_the_lab_observer_without_root_is_refused_before_any_router(
    lab_kind_config: Path, runbook: str, args: list[str]
) -> None:
    run = as_nobody([str(PROJECT_ROOT / "runbooks" / f"{runbook}.py"), "-c",
                     str(lab_kind_config), *args])  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 2, out
    assert "Traceback" not in out
    assert "needs root" in out and "sudo" in out, out
    assert "SSH failed" not in out and "primary restored" not in out, out


def test_the_demo_without_root_is_refused_before_the_lab_lock() -> None:
    run = as_nobody([str(PROJECT_ROOT / "runbooks" / "demo.py")])
    out = run.stdout + run.stderr
    assert run.returncode == 2, out
    assert "Traceback" not in out
    assert "needs root" in out and "sudo" in out, out
