"""The counters observer without a lab: parsers on recorded output, intervals, the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_factory import base_hosts, write_inventory

from tasks.inventory import load
from tasks.observers.counter_parse import PARSERS
from tasks.observers.counters import CountersObserver, counter_table
from tasks.observers.intervals import Interval, switch_from_intervals

FIXTURES = Path(__file__).parent / "fixtures"
PARSER_FIXTURES = Path(__file__).parents[1] / "parsers" / "fixtures"


@pytest.fixture
def hosts(tmp_path: Path) -> dict:
    return dict(load(write_inventory(tmp_path, base_hosts())).inventory.hosts)


def test_every_platform_has_one_deciding_counter_with_a_known_parser() -> None:
    table = counter_table()
    assert set(table) == {"frr", "vyos"}
    for specs in table.values():
        assert [s.decides for s in specs].count(True) == 1
        assert all(s.parser in PARSERS for s in specs)


def test_frr_counters_from_a_lab_routers_recorded_output(hosts: dict) -> None:
    router = hosts["r1"].data["router"]  # tunnels ipsec0 + ipsec1, like the lab's
    links = (FIXTURES / "frr_ip_link.json").read_text()
    assert PARSERS["ip_link_rx_packets"](links, router) == 191 + 14  # not eth0, not mgmt0
    nft = (FIXTURES / "frr_nft_vpc_ha.json").read_text()
    assert PARSERS["nft_vpc_out_packets"](nft, router) == 178  # the commented rule, not NAT's 1
    for parser in PARSERS.values():
        assert parser("garbage", router) is None
        assert parser("", router) is None


def test_vyos_sa_packets_in_sums_the_routers_own_tunnels(tmp_path: Path) -> None:
    hosts = base_hosts("vyos")
    tunnels = hosts["r1"]["data"]["tunnels"]
    tunnels[0]["outside_address"], tunnels[1]["outside_address"] = "13.112.28.41", "13.114.15.204"
    router = load(write_inventory(tmp_path, hosts)).inventory.hosts["r1"].data["router"]
    raw = (PARSER_FIXTURES / "vyos" / "show_vpn_ipsec_sa" / "vyos13_aws_vti.raw").read_text()
    assert PARSERS["sa_packets_in"](raw, router) == 17 + 18
    assert PARSERS["sa_bytes_in"](raw, router) == 2048
    other = load(write_inventory(tmp_path / "b", base_hosts("vyos"))).inventory.hosts["r2"]
    assert PARSERS["sa_packets_in"](raw, other.data["router"]) is None  # not its peers


def spans(router: str, rates: list[float], start: float = 0.0) -> list[Interval]:
    return [Interval(router, start + i, start + i + 1, r) for i, r in enumerate(rates)]


def test_switch_placed_inside_the_interval_by_its_share_of_the_rate() -> None:
    # Command at t=3.2; r1 carries 50/s until 4.4 (40% of [4, 5]), r2 from 4.4 (60%).
    old = spans("r1", [50, 50, 50, 50, 20, 0, 0])
    new = spans("r2", [0, 0, 0, 0, 30, 50, 50])
    sw = switch_from_intervals(old + new, 3.2, "r2", "r1", 5, "test")
    assert sw.traffic_s == pytest.approx(1.2, abs=0.01)
    assert sw.outage_s == 0.0 and sw.lost is None and sw.basis == "test"


def test_gap_is_how_long_no_router_carried_traffic() -> None:
    old = spans("r1", [50, 50, 50, 0, 0, 0, 0])
    new = spans("r2", [0, 0, 0, 0, 0, 50, 50])
    sw = switch_from_intervals(old + new, 2.5, "r2", "r1", 5, "test")
    assert sw.outage_s == pytest.approx(2.0)
    assert sw.traffic_s == pytest.approx(2.5)


def test_no_move_means_no_traffic_time() -> None:
    sw = switch_from_intervals(spans("r1", [50] * 5), 1.0, "r2", "r1", 5, "test")
    assert sw.traffic_s is None


class FakeSampler:
    def __init__(self, name: str, rates: list[float], error: str | None = None) -> None:
        self.name, self.rates, self.error = name, rates, error

    def intervals(self) -> list[Interval]:
        return spans(self.name, self.rates)


@pytest.mark.parametrize(
    ("rates", "status", "words"),
    [
        ({"r1": [50, 49], "r2": [0.1, 0], "r3": [0, 0]}, "pass", "r1 carries"),
        ({"r1": [0.2, 0], "r2": [50, 50], "r3": [0, 0]}, "fail", "not the primary r1"),
        ({"r1": [0.2, 0.1], "r2": [0, 0.3], "r3": [0, 0]}, "skip", "too little traffic to tell"),
        ({"r1": [30, 30], "r2": [20, 20], "r3": [0, 0]}, "fail", "split over r1, r2"),
        ({"r1": [50, 50], "r3": [0, 0]}, "pass", "unread: r2 (unreachable)"),
        ({}, "error", "no router's counters could be read"),
    ],
)  # fmt: skip
def test_counters_verdict_never_guesses(
    hosts: dict, rates: dict[str, list[float]], status: str, words: str
) -> None:
    observer = CountersObserver({"min_pps": 5}, hosts)
    observer.samplers = {n: FakeSampler(n, rates.get(n, []), None if n in rates else "unreachable")
                         for n in hosts}  # type: ignore[misc]  # fmt: skip
    routers = {n: h.data["router"] for n, h in hosts.items()}
    [check] = [observer._judge("vpc-a", list(routers.values()))]
    assert (check.status, check.check, check.severity) == (status, "data_plane", "primary")
    assert words in check.detail, check.detail


def test_bad_settings_are_refused(hosts: dict) -> None:
    from tasks.observers import ObserverError

    with pytest.raises(ObserverError, match="interval"):
        CountersObserver({"interval": 0.01}, hosts)
    with pytest.raises(ObserverError):
        CountersObserver({"min_pps": "lots"}, hosts)
