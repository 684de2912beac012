#!/usr/bin/env python3
"""Benchmark: check N saved configs offline and print configs per second.

Generates a fleet into a temporary directory: VyOS 1.3 and 1.4 ``set`` configs and FRR
directories rendered from our templates (some with a mistake injected: weight, keepalive 30,
weak crypto), with a device ``system`` tree appended to the VyOS ones, plus copies of the
reference design's hierarchical configs. Then times what the hourly job does offline: read
the directory, parse, run every rule, and record the findings in a fresh SQLite history.

    .venv/bin/python bench/compliance.py [--count 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.compliance.check import check_saved
from tasks.compliance.history import History
from tasks.compliance.policy import load_policy
from tasks.compliance.sources import read_dir
from tasks.model import Router
from tasks.render import render_router, write_files

REFERENCE = Path(__file__).resolve().parent.parent / "tests" / "compliance" / "fixtures"
SYSTEM = (
    "set system host-name {name}\nset system login user vyos level admin\n"
    "set system config-management commit-revisions '100'\n"
    "set system ntp server 192.0.2.123\nset system ntp server 192.0.2.124\n"
    "set system syslog host 192.0.2.9 facility all level notice\n"
    "set service ssh listen-address '192.0.2.10'\n"
)
MISTAKES = (
    ("timers keepalive '10'", "timers keepalive '30'"),
    ("proposal 1 dh-group '14'", "proposal 1 dh-group '2'"),
    ("set metric '100'", "set weight '65536'"),
)


def router(index: int, rng: random.Random) -> Router:
    platform = "frr" if index % 3 == 0 else "vyos"
    rank = index % 3
    octet, block = 10 + index // 60, (index % 60) * 4
    data = {
        "name": f"r{index:04d}",
        "platform": platform,
        "role": "backup" if rank else "primary",
        "rank": rank,
        "asn": rng.randint(65001, 65400),
        "vyos_syntax": rng.choice(["1.3", "1.4"]),
        "vpc": {"id": f"vpc-{index // 3}", "networks": [f"10.{index % 250}.0.0/24"]},
        "wan": {"interface": "eth0", "address": f"198.51.100.{index % 250 + 1}"},
        "tunnels": [
            {
                "name": f"tun{n + 1}",
                "interface": ("ipsec" if platform == "frr" else "vti") + str(n),
                "outside_address": f"203.0.113.{(index + n) % 250 + 1}",
                "inside_cidr": f"169.254.{octet}.{block + 0}/30" if n == 0 else
                               f"169.254.{octet + 100}.{block}/30",
                "psk": {"env": f"PSK_{index}_{n}"},
            }
            for n in range(2)
        ],
    }  # fmt: skip
    return Router.model_validate(data)


def generate(directory: Path, count: int, seed: int = 7) -> None:
    """Write ``count`` saved configs under ``directory``."""
    rng = random.Random(seed)
    references = sorted((REFERENCE / "reference").glob("*.boot"))
    for index in range(count):
        if index % 10 == 9:
            source = references[index % len(references)]
            (directory / f"ref{index:04d}.boot").write_text(source.read_text())
            continue
        model = router(index, rng)
        files = render_router(model)
        if model.platform == "vyos":
            text = files["config.set"] + SYSTEM.format(name=model.name)
            if rng.random() < 0.3:
                old, new = rng.choice(MISTAKES)
                text = text.replace(old, new)
            (directory / f"{model.name}.set").write_text(text)
        else:
            write_files(files, directory / model.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args(argv)
    policy = load_policy()
    with tempfile.TemporaryDirectory(prefix="compliance-bench-") as tmp:
        saved_dir = Path(tmp) / "saved"
        saved_dir.mkdir()
        started = time.perf_counter()
        generate(saved_dir, args.count)
        print(f"generated {args.count} configs in {time.perf_counter() - started:.2f}s")

        started = time.perf_counter()
        saved = read_dir(saved_dir)
        read_s = time.perf_counter() - started
        results = check_saved(saved, policy)
        check_s = time.perf_counter() - started - read_s
        with History(Path(tmp) / "history.sqlite") as history:
            history.record(results, "offline")
        total_s = time.perf_counter() - started
        findings = sum(len(r.findings) for r in results)
        print(
            f"checked {len(results)} configs ({findings} findings): read {read_s:.2f}s, "
            f"parse+rules {check_s:.2f}s, with history {total_s:.2f}s"
        )
        print(f"{len(results) / total_s:.0f} configs/s end to end")
        print(f"{len(results) / check_s:.0f} configs/s parse+rules")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
