"""No packet leaves the lab: deploy, verify and failover on the lab connect only to lab
addresses and loopback, with no AWS credentials configured (the case where botocore's chain
used to fall back to the instance metadata service at 169.254.169.254).

Each runbook runs as an operator would run it, under ``strace -f`` (what reached the kernel,
every process) and ``tests/lab/egress.py``'s audit hook (which refuses a connect outside the lab
before it is made, so this test cannot itself send what it is looking for).
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tasks import PROJECT_ROOT
from tasks.lab import Lab
from tasks.lab.inventory import COMMITTED_DIR, nornir_config

pytestmark = pytest.mark.lab

LAB_CONFIG = PROJECT_ROOT / "lab" / "config.yaml"
EGRESS = Path(__file__).parent / "egress.py"
RUNBOOKS = PROJECT_ROOT / "runbooks"
_ADDRESS = re.compile(r'inet_addr\("([0-9.]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def lab_networks(lab: Lab) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    topo = lab.topology
    nets = [topo.management, topo.underlay, topo.internet, topo.backbone, topo.vpc_network,
            topo.inside_base]  # fmt: skip
    return [*nets, ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]


def traced_destinations(trace: Path) -> list[str]:
    """Every IPv4/IPv6 destination of a connect/sendto/sendmsg in an strace log."""
    found = []
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        for v4, v6 in _ADDRESS.findall(line):
            found.append(v4 or v6)
    return found


def aws_on_config(tmp_path: Path) -> Path:
    """The lab's config with the AWS side switched back on (credentials still absent)."""
    config = yaml.safe_load(nornir_config(COMMITTED_DIR))
    config["user_defined"]["aws"] = {"enabled": True}
    path = tmp_path / "aws-on.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def variant_config(tmp_path: Path, probe: dict[str, object], aws: bool = False) -> Path:
    """The lab's config with another observer (and the AWS side on or off, no credentials)."""
    config = yaml.safe_load(nornir_config(COMMITTED_DIR))
    config["user_defined"]["probe"] = probe
    config["user_defined"]["aws"] = {"enabled": aws, "region": "us-east-1"}
    path = tmp_path / f"{probe['kind']}-aws-{aws}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_traced(
    lab: Lab, tmp_path: Path, argv: list[str], expect: int = 0
) -> tuple[int, list[str], list[str]]:
    """Run a runbook under strace and the guard: (exit code, all destinations, outside ones)."""
    trace, report = tmp_path / "strace.log", tmp_path / "guard.log"
    nets = lab_networks(lab)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials")}  # fmt: skip
    allowed = ",".join(map(str, nets))
    command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace),
               sys.executable, str(EGRESS), str(report), allowed, *argv]  # fmt: skip
    proc = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=240, check=False)  # fmt: skip
    destinations = traced_destinations(trace)
    outside = [d for d in destinations
               if not any(ipaddress.ip_address(d) in n for n in nets)]  # fmt: skip
    guarded = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.returncode, destinations, outside + guarded


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("deploy", [str(RUNBOOKS / "deploy.py"), "-c", str(LAB_CONFIG)]),
        ("verify", [str(RUNBOOKS / "verify.py"), "-c", str(LAB_CONFIG)]),
        ("verify, AWS side on", [str(RUNBOOKS / "verify.py"), "-c", "AWS_ON"]),
        ("failover", [str(RUNBOOKS / "failover.py"), "-c", str(LAB_CONFIG), "--hold", "1"]),
    ],
)
def test_runbook_connects_only_inside_the_lab(
    configured_lab: Lab, tmp_path: Path, name: str, argv: list[str]
) -> None:
    argv = [str(aws_on_config(tmp_path)) if a == "AWS_ON" else a for a in argv]
    _code, destinations, outside = run_traced(configured_lab, tmp_path, argv)
    print(f"{name}: {len(destinations)} connects/sends traced, {len(outside)} outside the lab")
    assert destinations, "strace saw no connect at all: the trace is not working"
    assert outside == []


COUNTERS = {"kind": "counters", "interval": 1.0, "window": 2}
SSM = {"kind": "ssm", "instance_id": "i-0123456789abcdef0", "region": "us-east-1"}


@pytest.mark.parametrize(
    ("name", "probe", "aws", "argv", "expect"),
    [
        ("verify, counters", COUNTERS, False, ["verify.py"], 0),
        ("failover, counters, AWS on (CloudWatch)", COUNTERS, True,
         ["failover.py", "--hold", "1"], 0),
        ("verify, ssm without credentials", SSM, True, ["verify.py"], 3),
    ],
)  # fmt: skip
def test_observers_connect_only_inside_the_lab(
    configured_lab: Lab, tmp_path: Path, name: str, probe: dict[str, object], aws: bool,
    argv: list[str], expect: int,
) -> None:  # fmt: skip
    """The counters observer (SSH to the routers only), the ssm observer and CloudWatch with
    no credentials (nothing sent; the check says why). The lab's VPC host sends traffic from
    this test's process (not traced) so the counters have something to see."""
    config = variant_config(tmp_path, probe, aws)
    command = [str(RUNBOOKS / argv[0]), "-c", str(config), *argv[1:]]
    with configured_lab.probe_stream(rate=50, duration=200):
        _code, destinations, outside = run_traced(configured_lab, tmp_path, command, expect)
    print(f"{name}: {len(destinations)} connects/sends traced, {len(outside)} outside the lab")
    assert destinations, "strace saw no connect at all: the trace is not working"
    assert outside == []


def test_the_guard_sees_and_refuses_a_connect_outside_the_lab(
    configured_lab: Lab, tmp_path: Path
) -> None:
    """The detector itself can fail: a script that reaches for a documentation address is
    caught (and refused before any packet is sent)."""
    script = tmp_path / "reach_out.py"
    script.write_text(
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "try:\n"
        "    s.connect(('192.0.2.1', 9))\n"
        "except OSError as exc:\n"
        "    print(exc)\n",
        encoding="utf-8",
    )
    _code, _all, outside = run_traced(configured_lab, tmp_path, [str(script)])
    assert outside == ["socket.connect 192.0.2.1"]
