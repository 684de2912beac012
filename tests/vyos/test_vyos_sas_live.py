"""``show vpn ipsec sa`` from live strongSwan SAs, in each VyOS version's table.

Input: ``swanctl --list-sas`` text, as strongSwan's list_sas.c prints it (the composed fixture,
fixtures/SOURCES.md, and the listings recorded from the lab's charons under
``tests/parsers/fixtures/frr/swanctl_list_sas/``). Expected rows: vyos-1x's formatting as
BEHAVIOUR.md section 3 describes it (1.4 ``ipsec.py``, 1.3 ``show_ipsec_sa.py``). The table must
also read back, through the project's own VyOS parser, as the SAs the FRR parser reads from the
same listing: verify and failover see the same tunnels either way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasks import PROJECT_ROOT
from tasks.lab.vyos.sas import filesize, parse_list_sas, rows, seconds_to_human, show_vpn_ipsec_sa
from tasks.parsing import parse

FIXTURE = Path(__file__).parent / "fixtures" / "swanctl_list_sas_three_charons.txt"
RECORDED = sorted((PROJECT_ROOT / "tests/parsers/fixtures/frr/swanctl_list_sas").glob("*.raw"))
P = "AES_CBC_256/HMAC_SHA2_256_128/MODP_2048"
SAME = ("connection", "remote_address", "up", "bytes_in", "bytes_out", "packets_in",
        "packets_out", "encryption", "integrity", "dh_group")  # fmt: skip


def test_14_rows_one_per_child_sa_present() -> None:
    """1.4: every child listed (REKEYED is down, with its counters); an IKE SA without
    children has no row; Remote ID as is; sizes 1024-based, packets SI without "B"."""
    assert rows("1.4", parse_list_sas(FIXTURE.read_text())) == [
        ("tun1-vti", "up", "1h2m3s", "7M/9M", "12K/15K", "203.0.113.21", "203.0.113.21", P),
        ("tun2-old", "down", "25m", "1K/2K", "10/12", "203.0.113.22", "vgw.example.net", P),
        ("tun2-vti", "up", "59s", "512B/0B", "4/0", "203.0.113.22", "vgw.example.net", P),
    ]


def test_13_rows_down_children_are_na_and_remote_id_equal_to_address_is_na() -> None:
    assert rows("1.3", parse_list_sas(FIXTURE.read_text())) == [
        ("tun1-vti", "up", "1h2m3s", "7M/9M", "12K/15K", "203.0.113.21", "N/A", P),
        ("tun2-old", "down", "N/A", "N/A", "N/A", "203.0.113.22", "vgw.example.net", "N/A"),
        ("tun2-vti", "up", "59s", "512B/0B", "4/0", "203.0.113.22", "vgw.example.net", P),
    ]


def test_table_layout_and_no_sas() -> None:
    table = show_vpn_ipsec_sa("1.4", FIXTURE.read_text()).splitlines()
    assert re.split(r"\s{2,}", table[0]) == ["Connection", "State", "Uptime", "Bytes In/Out",
                                    "Packets In/Out", "Remote address", "Remote ID",
                                    "Proposal"]  # fmt: skip
    assert set(table[1]) == {"-", " "} and len(table) == 5
    assert show_vpn_ipsec_sa("1.4", "").splitlines()[0].startswith("Connection  State")
    assert len(show_vpn_ipsec_sa("1.3", "").splitlines()) == 2


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_vyos_table_reads_back_as_the_swanctl_listing(version: str) -> None:
    text = FIXTURE.read_text()
    from_vyos = parse("vyos", "show vpn ipsec sa", show_vpn_ipsec_sa(version, text))
    from_frr = parse("frr", "swanctl --list-sas", text)
    up_vyos = sorted(tuple(r[k] for k in SAME) for r in from_vyos if r["up"])
    up_frr = sorted(tuple(r[k] for k in SAME) for r in from_frr if r["up"])
    assert up_vyos == up_frr and len(up_vyos) == 2


@pytest.mark.parametrize("raw", RECORDED, ids=lambda p: p.stem)
def test_lab_recorded_listings(raw: Path) -> None:
    """The listings recorded from the lab's strongSwan: one row per child, same tunnels up."""
    text = raw.read_text()
    from_vyos = parse("vyos", "show vpn ipsec sa", show_vpn_ipsec_sa("1.4", text))
    from_frr = [r for r in parse("frr", "swanctl --list-sas", text) if r["bytes_in"] is not None]
    assert [(r["connection"], r["up"], r["packets_in"], r["bytes_in"]) for r in from_vyos] == [
        (r["connection"], r["up"], r["packets_in"], _kib(r["bytes_in"])) for r in from_frr
    ]


def _kib(count: int | None) -> int | None:
    """What survives VyOS's ``25K``: whole KiB (25700 bytes read back as 25600)."""
    return count if count is None or count < 1024 else count // 1024 * 1024


def test_vyos_number_formats() -> None:
    assert [seconds_to_human(s) for s in (0, 59, 60, 3723, 694861)] == [
        "",
        "59s",
        "1m",
        "1h2m3s",
        "1w1d1h1m1s",
    ]
    assert [filesize(n) for n in (0, 1023, 1024, 7_500_000, 3 * 1024**3)] == [
        "0B",
        "1023B",
        "1K",
        "7M",
        "3G",
    ]
    assert filesize(12_000, 1000) == "12K"
