#!/usr/bin/env python3
"""verify.py and failover.py on the lab judged by ``probe.kind: counters``, beside the lab probe.

Run as root from the repository root: ``.venv/bin/python bench/observers.py [--hold S]``. The
lab's VPC host sends its probe stream (50/s) the whole time: that is the VPC's traffic the
routers' counters see, and afterwards the reference. Both runbooks run as an operator runs
them (subprocesses, ``--json``) with a config whose observer is ``counters`` (read every 1 s);
verify also runs with the lab's own probe. Prints each figure by counters and by the lab probe
from the same run. Exit 0 when both runbooks exit 0, the verdicts agree and each switch time by
counters is within 1.5 s of the probe's. Holds the lab session lock; brings the lab up
configured when it is not, and down again only if it brought it up.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks import PROJECT_ROOT
from tasks.failover.observe import switch_of
from tasks.lab import Lab, control

LAB_CONFIG = PROJECT_ROOT / "lab" / "config.yaml"
RUNBOOKS = PROJECT_ROOT / "runbooks"


def counters_config(directory: Path) -> Path:
    config = yaml.safe_load(LAB_CONFIG.read_text())
    for key, value in config["inventory"]["options"].items():
        config["inventory"]["options"][key] = str((LAB_CONFIG.parent / value).resolve())
    config["user_defined"]["probe"] = {"kind": "counters", "interval": 1.0}
    path = directory / "counters.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def runbook(name: str, *args: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run([sys.executable, str(RUNBOOKS / name), *args, "--json"],
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    try:
        return proc.returncode, json.loads(proc.stdout)
    except ValueError:
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
        return proc.returncode, {}


def data_plane(report: dict[str, Any]) -> dict[str, Any]:
    return next((c for c in report.get("checks", []) if c["check"] == "data_plane"), {})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hold", type=float, default=5.0, help="failover hold, seconds (5)")
    args = parser.parse_args()
    ok = True
    with control.session_lock(), tempfile.TemporaryDirectory() as tmp:
        lab = Lab()
        built = control.up(lab.topology, configured=True)["action"] == "built"
        config = counters_config(Path(tmp))
        offset = time.time() - time.monotonic()
        with lab.probe_stream(rate=50, duration=600) as stream:
            v_code, v_counters = runbook("verify.py", "-c", str(config))
            p_code, v_probe = runbook("verify.py", "-c", str(LAB_CONFIG))
            f_code, failover = runbook("failover.py", "-c", str(config), "--mode", "drain",
                                       "--hold", f"{args.hold:g}", "--no-aws")  # fmt: skip
        records, sent = list(stream.records), stream.sent
        if built:
            lab.down()
    c, p = data_plane(v_counters), data_plane(v_probe)
    print(f"verify.py, counters:  exit {v_code}  data_plane {c.get('status')}: {c.get('detail')}")
    print(f"verify.py, lab probe: exit {p_code}  data_plane {p.get('status')}: {p.get('detail')}")
    ok &= v_code == 0 and c.get("status") == p.get("status") == "pass"
    print(f"failover.py --mode drain, counters: exit {f_code} ({failover.get('outcome')}); "
          f"figures: {failover.get('basis')}")  # fmt: skip
    ok &= f_code == 0
    nat = {r: lab.nat_address(r) for r in lab.routers}
    print(f"  {'phase':<12}{'switch counters':>16}{'switch probe':>14}{'gap counters':>14}"
          f"{'max gap probe':>15}")  # fmt: skip
    for phase in failover.get("phases", []):
        moves = {"drain": ("r2", "r1"), "restore": ("r1", "r2")}
        if phase["name"] not in moves or not phase.get("switch"):
            continue
        new, old = moves[phase["name"]]
        t0 = phase["timings"]["command_at"] - offset
        window = [r for r in records if r.received <= t0 + 15]
        probe = switch_of(window, sent, t0, nat[new], nat[old])
        sw = phase["switch"]
        print(f"  {phase['name']:<12}{sw['traffic_s']!s:>15}s{probe.traffic_s!s:>13}s"
              f"{sw['outage_s']!s:>13}s{probe.outage_s!s:>14}s")  # fmt: skip
        ok &= (sw["traffic_s"] is not None and probe.traffic_s is not None
               and abs(sw["traffic_s"] - probe.traffic_s) <= 1.5)  # fmt: skip
    lost = sent - len({r.seq for r in records})
    print(f"lab probe over the whole run: {lost} of {sent} probes lost")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
