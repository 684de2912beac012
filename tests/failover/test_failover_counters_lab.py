"""A failover drain judged by the routers' counters, beside the lab probe (issue 14).

The lab's VPC host sends its probe stream (50/s) the whole time: it is the traffic the counters
see and, read afterwards, the reference. The test runs with ``probe.kind: counters`` (read
every 1 s, as on a real network): the drain's and the fail-back's switch times by counters
must be within 1.5 s of the probe's, and the probes must show no loss.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from failover_helpers import LAB_CONFIG, leftovers, sessions_up

from tasks.failover import FailoverOptions, run_failover
from tasks.failover.observe import switch_of
from tasks.inventory import load
from tasks.lab import Lab

pytestmark = pytest.mark.lab


def counters_config(tmp_path: Path, interval: float = 1.0) -> Path:
    config = yaml.safe_load(LAB_CONFIG.read_text())
    for key, value in config["inventory"]["options"].items():
        config["inventory"]["options"][key] = str((LAB_CONFIG.parent / value).resolve())
    config["user_defined"]["probe"] = {"kind": "counters", "interval": interval, "window": 2}
    path = tmp_path / "counters.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_drain_judged_by_counters_agrees_with_the_lab_probe(
    healthy_lab: Lab, tmp_path: Path
) -> None:
    lab = healthy_lab
    options = FailoverOptions(hold=2.0, aws=False, progress=lambda _m: None)
    offset = time.time() - time.monotonic()
    with lab.probe_stream(rate=50, duration=240) as stream:
        report = run_failover(load(counters_config(tmp_path)), options)
        time.sleep(0.5)
    records, sent = list(stream.records), stream.sent
    assert report.exit_code == 0, (report.outcome, report.error, report.phases)
    assert report.observer == "counters" and "tunnel_rx_packets" in report.basis
    nat = {r: lab.nat_address(r) for r in lab.routers}
    figures = []
    for name, new, old in (("drain", "r2", "r1"), ("restore", "r1", "r2")):
        phase = report.phase(name)
        assert phase is not None and phase.switch is not None
        by_counters = phase.switch
        assert by_counters.lost is None and by_counters.vgw_s is None  # neither is claimed
        t0 = phase.timings["command_at"] - offset
        window = [r for r in records if r.received <= t0 + 15]
        by_probe = switch_of(window, sent, t0, nat[new], nat[old])
        assert by_counters.traffic_s is not None and by_probe.traffic_s is not None
        figures.append(
            f"{name}: counters switch {by_counters.traffic_s}s gap {by_counters.outage_s}s | "
            f"lab probe switch {by_probe.traffic_s}s max gap {by_probe.outage_s}s"
        )
        assert abs(by_counters.traffic_s - by_probe.traffic_s) <= 1.5, figures[-1]
    seqs = {r.seq for r in records}
    assert sent - len(seqs) <= 2, "the lab probe lost traffic during the counters-judged test"
    print("\n".join(figures))
    assert leftovers(lab) == [] and sessions_up(lab, "r1")


def test_hard_mode_is_refused_off_the_lab_observer(healthy_lab: Lab, tmp_path: Path) -> None:
    from tasks.failover.policy import FailoverError

    options = FailoverOptions(mode="hard", aws=False, progress=lambda _m: None)
    with pytest.raises(FailoverError, match="lab only"):
        run_failover(load(counters_config(tmp_path)), options)
    assert leftovers(healthy_lab) == []
