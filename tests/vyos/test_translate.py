"""The lab's VyOS translation checked both ways (issue 16 item 2).

For each inventory router (primary, N+1, N+2; VyOS 1.3 and 1.4 syntax; default and tuned
values; 1.4 with ISP health), the VyOS template's ``set`` lines are rendered by the project's
own render code, built into a config tree by the VyOS CLI model (each line must pass VyOS's
schema), translated (tasks/lab/vyos/translate.py), and the result compared by meaning
(translate_facts.py) with the FRR platform's rendering of the same router. Then: what VyOS
does differently from the FRR template, pinned; failover's lines; refusals; secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import translate_facts as facts
from inventory_factory import GROUPS, PSK_ENV, base_hosts, write_inventory

from tasks.failover.policy import COMMANDS
from tasks.inventory import load
from tasks.lab.vyos.cli import VyosCli
from tasks.lab.vyos.translate import TranslationError, translate
from tasks.model import Router
from tasks.platforms.frr.apply import EMPTY_HEALTH, apply_commands
from tasks.render import render_router

PSK = {"tun1": "Tun1-s3cret.value", "tun2": "Tun2-other.s3cret"}
TUNED = {
    "bgp": {"holdtime": 90, "keepalive": 30, "connect_retry": 10, "prepend_per_rank": 3,
            "med_per_rank": 50},
    "ipsec": {"ike": {"encryption": "aes128", "integrity": "sha1", "dh_group": 19},
              "esp": {"encryption": "aes128", "integrity": "sha512", "dh_group": 5},
              "ike_lifetime": 3600, "esp_lifetime": 1800,
              "dpd": {"interval": 15, "timeout": 60, "action": "clear"}},
    "tunnel_mtu": 1436, "mss_clamp": 1300, "router_id": "10.255.0.1",
}  # fmt: skip
HEALTH = {"targets": ["198.18.0.1", "198.18.0.2"], "gateway": "198.51.100.1", "interval": 7}
#: ISP health exists on 1.4 only (the model refuses it on 1.3); maintenance suspends it.
HEALTH_VARIANTS = ("health", "health-maintenance")
CASES = [
    (syntax, host, variant)
    for syntax in ("1.3", "1.4")
    for variant in ("default", "tuned", *(HEALTH_VARIANTS if syntax == "1.4" else ()))
    for host in ("r1", "r2", "r3")
]  # fmt: skip
IDS = [f"{s}-{h}-{v}" for s, h, v in CASES]


def vyos_router(tmp_path: Path, syntax: str, host: str, variant: str) -> Router:
    hosts = base_hosts("vyos")
    for h in hosts.values():
        h["data"]["vyos_syntax"] = syntax
        if variant == "tuned":
            h["data"].update(TUNED)
        if variant.startswith("health") and h is not hosts["r3"]:  # r3: the last resort
            maintenance = variant == "health-maintenance"
            h["data"]["isp_health"] = {**HEALTH, "maintenance": maintenance}
    groups: dict[str, Any] = {"vpc-a": {"data": {"vpc": dict(GROUPS["vpc-a"]["data"]["vpc"])}}}
    if variant == "tuned":
        groups["vpc-a"]["data"]["vpc"]["networks"] = ["10.0.0.0/24", "10.8.0.0/16"]
    nr = load(write_inventory(tmp_path, hosts, groups))
    router = nr.inventory.hosts[host].data["router"]
    assert isinstance(router, Router)
    return router


def vyos_tree(router: Router) -> set[tuple[str, ...]]:
    """The active tree after loading the rendered lines on a factory router, each line checked
    against VyOS's schema for the version."""
    text = render_router(router, reveal_secrets=True)["config.set"]
    cli = VyosCli.with_config(router.vyos_syntax)
    tree = set(cli.active)
    for line in text.splitlines():
        if line.startswith("set "):
            answer = cli.apply_set(tree, line)
            assert "failed" not in answer, f"{line}: {answer}"
    return tree


def frr_twin(router: Router) -> Router:
    """The same router on the FRR platform; ISP health with VyOS's first-check semantics
    (vyos-failover.py acts on one failed / good check; the FRR monitor defaults to 3)."""
    update: dict[str, Any] = {"platform": "frr"}
    if router.isp_health is not None:
        update["isp_health"] = router.isp_health.model_copy(update={"fall": 1, "rise": 1})
    return router.model_copy(update=update)


@pytest.fixture
def pair(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    syntax, host, variant = request.param
    for tunnel, env in PSK_ENV.items():
        monkeypatch.setenv(env, PSK[tunnel])
    router = vyos_router(tmp_path, syntax, host, variant)
    return router, translate(vyos_tree(router), syntax), render_router(frr_twin(router), True)


def _swan(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, text in files.items():
        if name.startswith("swanctl/"):
            out.update(facts.swanctl(text))
    return out


@pytest.mark.parametrize("pair", CASES, ids=IDS, indirect=True)
def test_bgp_sessions_and_advertisements_equal(pair: Any) -> None:
    _, got, want = pair
    g, w = facts.frr(got["frr.conf"]), facts.frr(want["frr.conf"])
    for key in ("asn", "router_id", "neighbors", "networks", "redistribute"):
        assert g[key] == w[key], key
    assert g.get("cond_timer") == w.get("cond_timer")
    assert g["neighbors"] and g["networks"] == {"0.0.0.0/0"}
    for peer in w["af"]:
        got_af = {k: v for k, v in g["af"][peer].items() if not k.startswith("route-map")}
        want_af = {k: v for k, v in w["af"][peer].items() if not k.startswith("route-map")}
        assert got_af == want_af, peer
    assert set(g["af"]) == set(w["af"])


@pytest.mark.parametrize("pair", CASES, ids=IDS, indirect=True)
def test_route_map_semantics_equal(pair: Any) -> None:
    router, got, want = pair
    g, w = facts.frr(got["frr.conf"]), facts.frr(want["frr.conf"])
    for peer, want_af in w["af"].items():
        for key in ("route-map in", "route-map out", "advertise-map", "exist-map"):
            assert facts.policy(g, g["af"][peer].get(key)) == facts.policy(w, want_af.get(key))
    out = facts.policy(g, g["af"][str(router.tunnels[0].aws_inside_address)]["route-map out"])
    assert out is not None
    assert out[0]["prepend_count"] == router.prepend_count
    assert out[0]["metric"] == router.med


@pytest.mark.parametrize("pair", CASES, ids=IDS, indirect=True)
def test_ipsec_equal(pair: Any) -> None:
    router, got, want = pair
    g, w = _swan(got), _swan(want)
    assert set(g) == {str(t.outside_address) for t in router.tunnels}
    assert g == w
    assert g[str(router.tunnels[0].outside_address)]["secret"] == PSK[router.tunnels[0].name]


@pytest.mark.parametrize("pair", CASES, ids=IDS, indirect=True)
def test_nat_mss_and_interfaces_equal(pair: Any) -> None:
    router, got, want = pair
    g, w = facts.nft(got["nftables.nft"]), facts.nft(want["nftables.nft"])
    assert g["masquerade"] == w["masquerade"] == {("eth0", str(n)) for n in router.vpc.networks}
    assert g["outbound_counter"] == w["outbound_counter"]
    egress = {k: v for k, v in w["clamp"].items() if k[0] == "out"}
    assert g["clamp"] == egress and set(egress.values()) == {router.mss}
    assert facts.interfaces(got["interfaces.ip"]) == facts.interfaces(want["interfaces.ip"])


@pytest.mark.parametrize("pair", CASES, ids=IDS, indirect=True)
def test_isp_health_equal(pair: Any) -> None:
    router, got, want = pair
    assert facts.health(got["isp-health.sh"]) == facts.health(want["isp-health.sh"])
    active = router.isp_health is not None and router.isp_health.active
    assert (got["isp-health.sh"] != EMPTY_HEALTH) == active


@pytest.mark.parametrize("pair", [("1.4", "r2", "default")], indirect=True)
def test_what_vyos_does_differently_from_the_frr_template(pair: Any) -> None:
    """Pinned, so each is a decision: VyOS's effect, from its source, not the FRR template's."""
    _, got, want = pair
    g, w = facts.frr(got["frr.conf"]), facts.frr(want["frr.conf"])
    # bgpd.frr.j2: import-check off, so 0.0.0.0/0 is sent without a default route in the RIB
    assert "no bgp network import-check" in g["flags"] - w["flags"]
    # peer.j2: mobike unless disable-mobike (never rendered); the child's hard life_time
    assert "mobike = yes" in got["swanctl/tun1.conf"] and "mobike = no" in want["swanctl/tun1.conf"]
    assert "life_time = 3600s" in got["swanctl/tun1.conf"]
    assert "rekey_time = 3600s" in want["swanctl/tun1.conf"]
    # set_tcp_ipv4_mss: SYNs leaving the VTI only; the FRR template clamps both directions
    assert not any(k[0] == "in" for k in facts.nft(got["nftables.nft"])["clamp"])
    assert any(k[0] == "in" for k in facts.nft(want["nftables.nft"])["clamp"])


@pytest.mark.parametrize("syntax", ["1.3", "1.4"])
def test_failover_drain_and_maintenance_lines_take_effect(
    syntax: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tunnel, env in PSK_ENV.items():
        monkeypatch.setenv(env, PSK[tunnel])
    router = vyos_router(tmp_path, syntax, "r1", "default")
    tree, cli = vyos_tree(router), VyosCli(version=syntax)
    table = COMMANDS[f"vyos-{syntax}"]
    peer = str(router.tunnels[0].aws_inside_address)
    for line in (table["prepend"].format(path="65010 65010 65010"),
                 table["shutdown"].format(asn=router.asn, peer=peer)):  # fmt: skip
        assert "failed" not in cli.apply_set(tree, line)
    g = facts.frr(translate(tree, syntax)["frr.conf"])
    out = facts.policy(g, g["af"][peer]["route-map out"])
    assert out is not None and out[0]["prepend_count"] == 3
    assert g["neighbors"][peer].get("shutdown") is True
    assert "shutdown" not in g["neighbors"][str(router.tunnels[1].aws_inside_address)]


@pytest.mark.parametrize("syntax", ["1.3", "1.4"])
def test_files_are_the_frr_platforms_and_apply_the_same_way(
    syntax: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tunnel, env in PSK_ENV.items():
        monkeypatch.setenv(env, PSK[tunnel])
    router = vyos_router(tmp_path, syntax, "r2", "default")
    tree, twin = vyos_tree(router), frr_twin(router)
    want = render_router(twin)
    names = {str(t.outside_address): t.name for t in router.tunnels}
    got = translate(tree, syntax, names)
    assert list(got) == list(want)
    assert apply_commands(twin, got) == apply_commands(twin, want)
    unnamed = translate(tree, syntax)
    if syntax == "1.4":  # the peer is named after the tunnel
        assert list(unnamed) == list(want)
    else:  # vpn-config.pl's conn name
        assert "swanctl/peer-203.0.113.12-tunnel-vti.conf" in unnamed


def test_factory_router_translates_to_nothing_configured() -> None:
    files = translate(VyosCli.with_config("1.4").active, "1.4")
    assert sorted(files) == ["frr.conf", "interfaces.ip", "isp-health.sh", "nftables.nft"]
    assert "router bgp" not in files["frr.conf"] and files["interfaces.ip"] == ""
    assert files["isp-health.sh"] == EMPTY_HEALTH
    assert facts.nft(files["nftables.nft"])["masquerade"] == set()


@pytest.mark.parametrize(
    ("version", "line", "path"),
    [
        ("1.4", "set protocols ospf area 0 network '10.0.0.0/8'", "protocols ospf"),
        ("1.3", "set service dhcp-server shared-network-name LAN subnet '10.0.0.0/24'",
         "service dhcp-server"),
        ("1.4", "set protocols bgp neighbor 169.254.10.1 ebgp-multihop '2'",
         "protocols bgp neighbor 169.254.10.1 ebgp-multihop"),
        ("1.4", "set vpn ipsec esp-group AWS-ESP mode 'transport'",
         "vpn ipsec esp-group AWS-ESP mode transport"),
        ("1.3", "set interfaces vti vti0 disable", "interfaces vti vti0 disable"),
        ("1.4", "set firewall ipv4 forward filter default-action 'drop'", "firewall"),
    ],
)  # fmt: skip
def test_out_of_scope_subtree_is_refused_naming_its_path(
    version: str, line: str, path: str
) -> None:
    cli = VyosCli.with_config(version)
    tree = set(cli.active)
    assert "failed" not in cli.apply_set(tree, line)
    with pytest.raises(TranslationError, match="outside what the toolkit renders; refused") as exc:
        translate(tree, version)
    assert f"`{path}`" in str(exc.value)


def test_unknown_version_is_refused() -> None:
    with pytest.raises(TranslationError, match="unknown VyOS version"):
        translate(set(), "1.5")


@pytest.mark.parametrize("syntax", ["1.3", "1.4"])
def test_a_psk_never_appears_in_an_error(
    syntax: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for tunnel, env in PSK_ENV.items():
        monkeypatch.setenv(env, PSK[tunnel])
    tree = vyos_tree(vyos_router(tmp_path, syntax, "r1", "default"))
    secret_entries = [e for e in tree if PSK["tun1"] in e]
    assert secret_entries
    broken = [
        tree - {e for e in tree if "esp-group" in e and "vti" in e},  # a peer without esp-group
        tree | {(*secret_entries[0], "extra")},  # a path through the secret
        {e for e in tree if e[:3] != ("vpn", "ipsec", "ike-group")},  # a missing group
    ]
    for t in broken:
        with pytest.raises(TranslationError) as exc:
            translate(t, syntax)
        assert PSK["tun1"] not in str(exc.value) and PSK["tun2"] not in str(exc.value)


def _changed(router: Router, *lines: str) -> set[tuple[str, ...]]:
    """The router's rendered tree with ``lines`` set on top (each checked by the schema)."""
    tree, cli = vyos_tree(router), VyosCli(version=router.vyos_syntax)
    for line in lines:
        assert "failed" not in cli.apply_set(tree, line), line
    return tree


@pytest.fixture
def psk_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for tunnel, env in PSK_ENV.items():
        monkeypatch.setenv(env, PSK[tunnel])


@pytest.mark.usefixtures("psk_env")
def test_vyos_own_defaults_and_value_mappings(tmp_path: Path) -> None:
    """Values the toolkit does not render but VyOS maps (so a hand-made change still means
    what it means on VyOS): pfs enable, 1.3 dpd hold / close-action clear, 1.3 timer
    defaults, clamp-mss-to-pmtu."""
    r14 = vyos_router(tmp_path / "a", "1.4", "r1", "default")
    r13 = vyos_router(tmp_path / "b", "1.3", "r1", "default")
    tree = _changed(
        r14,
        "set vpn ipsec esp-group AWS-ESP pfs 'enable'",
        "set vpn ipsec ike-group AWS-IKE proposal 1 dh-group '19'",
        "set interfaces vti vti0 ip adjust-mss 'clamp-mss-to-pmtu'",
    )
    files = translate(tree, "1.4")
    swan = facts.swanctl(files["swanctl/tun1.conf"])["203.0.113.10"]
    assert swan["esp_proposals"] == ["aes256-sha256-ecp256"]  # the IKE group's first DH group
    assert (
        'oifname "vti0" tcp flags & (syn|rst) == syn tcp option maxseg size set rt mtu'
        in (files["nftables.nft"])
    )
    peer = "set vpn ipsec ike-group AWS-IKE"
    tree = _changed(
        r13, f"{peer} dead-peer-detection action 'hold'", f"{peer} close-action 'clear'"
    )
    tree -= {e for e in tree if "holdtime" in e or "keepalive" in e}
    files = translate(tree, "1.3")
    swan = facts.swanctl(files["swanctl/peer-203.0.113.10-tunnel-vti.conf"])["203.0.113.10"]
    assert (swan["dpd_action"], swan["close_action"]) == ("trap", "none")
    neighbor = facts.frr(files["frr.conf"])["neighbors"]["169.254.10.1"]
    assert (neighbor["keepalive"], neighbor["holdtime"]) == (60, 180)


@pytest.mark.usefixtures("psk_env")
def test_a_tree_vyos_would_refuse_is_refused(tmp_path: Path) -> None:
    router = vyos_router(tmp_path, "1.4", "r1", "default")
    tree = vyos_tree(router)
    no_list = {e for e in tree if e[:3] != ("policy", "prefix-list", "DEFAULT-ONLY")}
    with pytest.raises(TranslationError, match="prefix-list DEFAULT-ONLY, which is not configured"):
        translate(no_list, "1.4")
    no_psk = {e for e in tree if e[:4] != ("vpn", "ipsec", "authentication", "psk")}
    with pytest.raises(TranslationError, match="no `vpn ipsec authentication psk` has the ids"):
        translate(no_psk, "1.4")
    healthy = vyos_tree(vyos_router(tmp_path / "h", "1.4", "r1", "health"))
    no_handler = {e for e in healthy if e[:2] != ("service", "event-handler")}
    with pytest.raises(TranslationError, match="without the toolkit's soft-clear event handler"):
        translate(no_handler, "1.4")
