"""Benchmark the BGP parsers: paths per second, peak memory, and growth with input size.

Generates FRR-format ``show ip bgp`` tables (the byte layout FRR 8 prints: 3-character status,
17-character Network, 16-character Next Hop, right-aligned Metric/LocPrf/Weight, AS path,
origin; one to three paths per prefix, the extra ones as continuation rows; the footer) of
10k, 100k and 1M paths, parses each in a fresh process so peak RSS is that size's own, and
prints paths/s, peak memory and time per path relative to the smallest size (about 1.0 when
parse time grows linearly). Then parses one large ``show ip bgp summary`` with this project's
template and with ntc-templates' TextFSM ``vyatta_vyos_show_ip_bgp_summary`` and prints the
ratio. The summary is in the VyOS 1.2 layout that TextFSM template expects (its ``^. -> Error``
rule rejects FRR 8's extra columns).

Usage: ``.venv/bin/python bench/parse_bgp.py [--sizes 10000 100000 1000000] [--neighbors N]``
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.parsing import parse

HEADER = """BGP table version is 1234, local router ID is 10.255.0.1, vrf id 0
Default local pref 100, local AS 65001
Status codes:  s suppressed, d damped, h history, * valid, > best, = multipath,
               i internal, r RIB-failure, S Stale, R Removed
Nexthop codes: @NNN nexthop's vrf id, < announce-nh-self
Origin codes:  i - IGP, e - EGP, ? - incomplete
RPKI validation codes: V valid, I invalid, N Not found

   Network          Next Hop            Metric LocPrf Weight Path
"""


def bgp_table(paths: int, seed: int = 7) -> str:
    """An FRR ``show ip bgp`` table with exactly ``paths`` paths."""
    rnd = random.Random(seed)
    rows: list[str] = []
    prefixes = 0
    while len(rows) < paths:
        prefixes += 1
        n = prefixes
        prefix = f"{10 + (n >> 16) % 200}.{(n >> 8) & 255}.{n & 255}.0/24"
        count = min(rnd.choice((1, 1, 2, 3)), paths - len(rows))
        for k in range(count):
            internal = rnd.random() < 0.2
            status = ("*" + (">" if k == 0 else "=" if rnd.random() < 0.3 else " ")) + (
                "i" if internal else " "
            )
            hop = f"169.254.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
            metric = f"{rnd.choice((0, 100, 200)):>10}" if rnd.random() < 0.7 else " " * 10
            locprf = f"{rnd.choice((50, 100, 200)):>7}" if internal else " " * 7
            as_path = " ".join(str(rnd.randrange(64512, 65535)) for _ in range(rnd.randrange(4)))
            network = prefix if k == 0 else ""
            rows.append(
                f"{status}{network:<17}{hop:<16}{metric}{locprf}{0:>7} "
                f"{as_path + ' ' if as_path else ''}{rnd.choice('ie?')}"
            )
    footer = f"\nDisplayed  {prefixes} routes and {paths} total paths\n"
    return HEADER + "\n".join(rows) + "\n" + footer


def bgp_summary(neighbors: int, seed: int = 11) -> str:
    """A VyOS 1.2 (FRR 7) ``show ip bgp summary`` with ``neighbors`` rows."""
    rnd = random.Random(seed)
    head = (
        "IPv4 Unicast Summary:\n"
        "BGP router identifier 10.255.0.1, local AS number 65001 vrf-id 0\n"
        "BGP table version 50711224\n"
        "RIB entries 1537189, using 270 MiB of memory\n"
        f"Peers {neighbors}, using 593 KiB of memory\n"
        "Peer groups 4, using 256 bytes of memory\n\n"
        "Neighbor        V         AS MsgRcvd MsgSent   TblVer  InQ OutQ  Up/Down State/PfxRcd\n"
    )
    rows = []
    for n in range(neighbors):
        address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        up = rnd.random() < 0.8
        updown = f"{rnd.randrange(9)}d{rnd.randrange(24):02d}h{rnd.randrange(60):02d}m"
        state = str(rnd.randrange(1000)) if up else rnd.choice(("Active", "Connect", "Idle"))
        rows.append(
            f"{address:<16}4 {rnd.randrange(64512, 65535):>10} {rnd.randrange(99999):>7} "
            f"{rnd.randrange(99999):>7} {0:>8} {0:>4} {0:>4} {updown if up else 'never':>8} "
            f"{state:>12}"
        )
    return head + "\n".join(rows) + f"\n\nTotal number of neighbors {neighbors}\n"


def run_one(paths: int) -> dict[str, float]:
    """Parse one generated table in this process; report time and peak RSS."""
    raw = bgp_table(paths)
    start = time.perf_counter()
    table = parse("frr", "show ip bgp", raw)
    seconds = time.perf_counter() - start
    assert isinstance(table, dict) and len(table["paths"]) == paths
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"paths": paths, "seconds": seconds, "peak_mib": peak_kib / 1024}


def compare_summary(neighbors: int) -> tuple[float, float]:
    """Seconds for our template and for ntc-templates' TextFSM on the same summary."""
    from ntc_templates.parse import parse_output

    raw = bgp_summary(neighbors)
    start = time.perf_counter()
    ours = parse("vyos", "show ip bgp summary", raw)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = parse_output(platform="vyatta_vyos", command="show ip bgp summary", data=raw)
    theirs_s = time.perf_counter() - start
    assert isinstance(ours, dict) and len(ours["neighbors"]) == len(theirs) == neighbors
    return ours_s, theirs_s


def main() -> None:
    """Run every size in its own process, then the summary comparison; print a report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--neighbors", type=int, default=20_000)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return

    results = []
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout))
    base = results[0]["seconds"] / results[0]["paths"]
    print(f"{'paths':>10} {'seconds':>9} {'paths/s':>10} {'peak MiB':>9} {'s/path vs first':>16}")
    for r in results:
        per_path = r["seconds"] / r["paths"]
        print(
            f"{r['paths']:>10} {r['seconds']:>9.2f} {r['paths'] / r['seconds']:>10.0f} "
            f"{r['peak_mib']:>9.0f} {per_path / base:>16.2f}"
        )
    ours_s, theirs_s = compare_summary(args.neighbors)
    print(
        f"summary of {args.neighbors} neighbors: TTP {ours_s:.2f} s, "
        f"TextFSM (ntc-templates) {theirs_s:.2f} s, TTP/TextFSM time ratio {ours_s / theirs_s:.2f}"
    )


if __name__ == "__main__":
    main()
