"""Rules: the reference design fails as it should; our own rendered configs pass; each rule
can fail on the one mistake it exists for."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REFERENCE, inventory_routers

from tasks.compliance.check import Known, check_intended, check_saved
from tasks.compliance.config import DeviceConfig
from tasks.compliance.engine import HostInput, HostResult, evaluate, evaluate_all
from tasks.compliance.policy import Policy
from tasks.compliance.rules import REGISTRY
from tasks.compliance.sources import read_dir
from tasks.compliance.vyos import parse
from tasks.render import render_router

REFERENCE_MUST_FAIL = {
    "router1": {"bgp-keepalive-holdtime", "ipsec-weak-crypto", "bgp-export-filter"},
    "router2": {
        "bgp-export-filter",
        "bgp-weight-as-preference",
        "bgp-weight-range",
        "bgp-keepalive-holdtime",
        "ipsec-weak-crypto",
    },
}
#: What a rendered intended config cannot show: the management plane (device-only rules),
#: nothing to compare drift with, keys masked by the renderer, and "not applicable" for FRR.
INTENDED_SKIPPED = {"ssh-management-only", "ntp-configured", "syslog-configured"}
INTENDED_UNJUDGED = {"psk-default-or-reused", "config-drift"}


def rules_of(result: HostResult) -> set[str]:
    return {f.rule for f in result.findings}


@pytest.mark.parametrize("suffix", [".boot", ".set"])
def test_reference_configs_fail_with_the_expected_rule_ids(
    tmp_path: Path, policy: Policy, suffix: str
) -> None:
    for name in REFERENCE_MUST_FAIL:
        (tmp_path / f"{name}{suffix}").write_text((REFERENCE / f"{name}{suffix}").read_text())
    results = {r.host: r for r in check_saved(read_dir(tmp_path), policy)}
    assert set(results) == set(REFERENCE_MUST_FAIL)
    for host, expected in REFERENCE_MUST_FAIL.items():
        assert expected <= rules_of(results[host]), host
    assert "bgp-weight-as-preference" not in rules_of(results["router1"])
    weight = [f for f in results["router2"].findings if f.rule == "bgp-weight-range"]
    assert [(f.where, f.value) for f in weight] == [("route-map def-route rule 1", "weight 65536")]
    crypto = {
        f.where: f.value for f in results["router2"].findings if f.rule == "ipsec-weak-crypto"
    }
    assert crypto == {
        "ike AWS": "encryption aes128, integrity sha1, dh-group 2",
        "esp AWS": "encryption aes128, integrity sha1, dh-group 2",
    }
    for finding in results["router2"].findings:
        assert finding.host and finding.severity and finding.message and finding.fix


def test_both_forms_give_the_same_findings(policy: Policy) -> None:
    def findings(suffix: str) -> list[tuple[str, str, str]]:
        cfg = parse("router2", (REFERENCE / f"router2{suffix}").read_text())
        found = evaluate(HostInput(cfg), policy).findings
        # The blog masked all three NTP servers to one name: in set form they are one line.
        return sorted((f.rule, f.where, f.value) for f in found if f.rule != "ntp-configured")

    assert findings(".boot") == findings(".set")


def test_masked_values_are_unjudged_not_crashes(policy: Policy) -> None:
    cfg = parse("router1", (REFERENCE / "router1.boot").read_text())
    result = evaluate(HostInput(cfg), policy)
    unjudged = {rule for rule, _ in result.unjudged}
    assert {"tunnel-inside-cidr", "ssh-management-only", "psk-default-or-reused"} <= unjudged
    assert "bgp-backup-preference" in unjudged  # no inventory: role unknown


@pytest.mark.parametrize(("platform", "syntax"), [("vyos", "1.3"), ("vyos", "1.4"), ("frr", None)])
def test_our_rendered_configs_pass_the_policy(
    tmp_path: Path, policy: Policy, platform: str, syntax: str | None
) -> None:
    routers = inventory_routers(tmp_path, platform, syntax)
    known = {name: Known(router, None) for name, router in routers.items()}
    results = check_intended(known, policy)
    assert [r.host for r in results] == ["r1", "r2", "r3"]
    for result in results:
        assert result.findings == [], result.findings
        skipped = set(result.skipped) - {"check-failed"}
        # commit-revisions is rendered for VyOS (and judged); FRR has no commit archive.
        assert skipped == INTENDED_SKIPPED | ({"commit-revisions"} if platform == "frr" else set())
        assert {rule for rule, _ in result.unjudged} == INTENDED_UNJUDGED


# --- each rule fails on its own mistake --------------------------------------------------------


def rendered(tmp_path: Path, host: str = "r2", syntax: str = "1.4") -> tuple[str, Known]:
    router = inventory_routers(tmp_path, "vyos", syntax)[host]
    return render_router(router)["config.set"], Known(router, "192.0.2.10")


def judge(text: str, known: Known | None, policy: Policy, host: str = "r2") -> HostResult:
    cfg = parse(host, text)
    if known is None:
        return evaluate(HostInput(cfg), policy)
    return evaluate(HostInput(cfg, router=known.router, mgmt_address=known.mgmt_address), policy)


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


SYSTEM = (
    "set system host-name r2\nset system login user vyos level admin\n"
    "set system config-management commit-revisions '100'\n"
    "set system ntp server 192.0.2.123\nset system ntp server 192.0.2.124\n"
    "set system syslog host 192.0.2.9 facility all level notice\n"
    "set service ssh listen-address '192.0.2.10'\n"
)


@pytest.mark.parametrize(
    ("rule", "old", "new", "value"),
    [
        ("ipsec-weak-crypto", "dh-group '14'", "dh-group '22'", "dh-group 22"),
        ("ipsec-weak-crypto", "pfs 'dh-group14'", "pfs 'disable'", "no PFS"),
        ("ipsec-dpd", "dead-peer-detection timeout '40'", "dead-peer-detection timeout '20'",
         "timeout 20"),
        ("tunnel-mtu", "vti0 mtu '1399'", "vti0 mtu '1436'", "mtu 1436"),
        ("tunnel-mss-clamp", "vti1 ip adjust-mss '1359'", "vti1 ip adjust-mss '1400'",
         "mss 1400 with mtu 1399"),
        ("tunnel-inside-cidr", "169.254.11.2/30", "169.254.3.2/30", "169.254.3.2/30"),
        ("nat-covers-vpc", "source address '10.0.0.0/24'", "source address '10.9.0.0/24'",
         "10.0.0.0/24"),
        ("bgp-backup-preference", "set as-path prepend '65010 65010'", "set metric '0'",
         "prepend x0, MED 0"),
        ("bgp-holdtime-aws", "holdtime '30'", "holdtime '90'", "holdtime 90"),
        ("ssh-management-only", "listen-address '192.0.2.10'", "listen-address '198.51.100.11'",
         "listen-address 198.51.100.11"),
        ("commit-revisions", "commit-revisions '100'", "commit-revisions '5'",
         "commit-revisions 5"),
        ("syslog-configured", "set system syslog host 192.0.2.9 facility all level notice",
         "set system syslog global facility all level notice", "local only"),
        ("ntp-configured", "set system ntp server 192.0.2.124\n", "", "1 server(s)"),
    ],
)  # fmt: skip
def test_each_rule_fails_on_its_mistake(
    tmp_path: Path, policy: Policy, rule: str, old: str, new: str, value: str
) -> None:
    text, known = rendered(tmp_path)
    text += SYSTEM
    assert judge(text, known, policy).findings == [], "the unbroken config must pass"
    result = judge(edit(text, old, new), known, policy)
    assert (rule, value) in {(f.rule, f.value) for f in result.findings}


def test_primary_must_not_prepend(tmp_path: Path, policy: Policy) -> None:
    text, known = rendered(tmp_path, host="r1")
    text = edit(text, "set metric '0'", "set as-path prepend '65010'")
    assert "bgp-backup-preference" in rules_of(judge(text, known, policy, host="r1"))


def test_backup_with_too_few_prepends_for_its_rank(tmp_path: Path, policy: Policy) -> None:
    text, known = rendered(tmp_path, host="r3")
    text = edit(text, "prepend '65010 65010 65010 65010'", "prepend '65010'")
    [finding] = judge(text, known, policy, host="r3").findings
    assert finding.rule == "bgp-backup-preference" and "expects 4" in finding.message


def test_ssh_on_every_address_is_flagged(tmp_path: Path, policy: Policy) -> None:
    text, known = rendered(tmp_path)
    text = text + SYSTEM.replace("set service ssh listen-address '192.0.2.10'", "set service ssh")
    assert ("ssh-management-only", "listens on every address") in {
        (f.rule, f.value) for f in judge(text, known, policy).findings
    }


def test_psk_reuse_and_defaults_name_tunnels_never_keys(policy: Policy) -> None:
    def router(host: str, k1: str, k2: str) -> DeviceConfig:
        text = (
            f"set vpn ipsec site-to-site peer 203.0.113.1 authentication pre-shared-secret '{k1}'\n"
            f"set vpn ipsec site-to-site peer 203.0.113.2 authentication pre-shared-secret '{k2}'\n"
        )
        return parse(host, text)

    secret = "Sup3rSecretKeyNumber1"
    results = {
        r.host: r
        for r in evaluate_all(
            [HostInput(router("a", secret, secret)), HostInput(router("b", "vyos", secret))],
            policy,
        )
    }
    values = {(f.host, f.where, f.value) for r in results.values() for f in r.findings
              if f.rule == "psk-default-or-reused"}  # fmt: skip
    assert ("a", "peers 203.0.113.1, 203.0.113.2", "same key on several tunnels") in values
    assert ("b", "peer 203.0.113.1", "a well-known default key") in values
    assert ("b", "peer 203.0.113.2", "same key as a/203.0.113.1, a/203.0.113.2") in values
    for result in results.values():
        assert secret not in repr(result)
        for finding in result.findings:
            assert "vyos" not in f"{finding.where} {finding.value} {finding.message}"


def test_crypto_floor_is_a_policy_parameter(policy: Policy) -> None:
    text = (
        "set vpn ipsec ike-group G proposal 1 encryption 'aes128'\n"
        "set vpn ipsec ike-group G proposal 1 hash 'sha256'\n"
        "set vpn ipsec ike-group G proposal 1 dh-group '14'\n"
        "set vpn ipsec ike-group G dead-peer-detection action 'restart'\n"
    )
    strict = evaluate(HostInput(parse("r", text)), policy)
    assert ("ipsec-weak-crypto", "encryption aes128") in {
        (f.rule, f.value) for f in strict.findings
    }
    rules = [
        s.model_copy(update={"params": {**s.params, "encryption_floor": "aes128"}})
        if s.id == "ipsec-weak-crypto"
        else s
        for s in policy.rules
    ]
    relaxed = evaluate(HostInput(parse("r", text)), policy.model_copy(update={"rules": rules}))
    assert "ipsec-weak-crypto" not in rules_of(relaxed)


def test_every_rule_is_documented() -> None:
    for rule in REGISTRY.values():
        assert rule.fn.__doc__, rule.id


def test_a_connection_with_one_tunnel_is_flagged(tmp_path: Path, policy: Policy) -> None:
    text, known = rendered(tmp_path)
    text += SYSTEM
    half = "\n".join(x for x in text.splitlines() if "neighbor 169.254.11.5 " not in x) + "\n"
    result = judge(half, known, policy)
    hits = [(f.rule, f.value) for f in result.findings if f.rule == "vpn-tunnel-redundancy"]
    assert hits == [("vpn-tunnel-redundancy", "1 tunnel session(s): 169.254.11.1")]


@pytest.mark.parametrize("platform", ["vyos", "frr"])
def test_an_inventory_router_with_one_tunnel_is_flagged(
    tmp_path: Path, policy: Policy, platform: str
) -> None:
    router = inventory_routers(tmp_path, platform, "1.4" if platform == "vyos" else None)["r2"]
    single = router.model_copy(update={"tunnels": router.tunnels[:1]})
    results = check_intended({"r2": Known(single, None)}, policy)
    assert "vpn-tunnel-redundancy" in rules_of(results[0])


def test_tunnels_with_different_prepends_are_flagged(tmp_path: Path, policy: Policy) -> None:
    text, known = rendered(tmp_path)
    text += SYSTEM + (
        "set policy route-map TO-AWS-TUN2 rule 10 action 'permit'\n"
        "set policy route-map TO-AWS-TUN2 rule 10 set as-path prepend '65010 65010 65010'\n"
        "set policy route-map TO-AWS-TUN2 rule 10 set metric '100'\n"
    )
    text = edit(
        text,
        "neighbor 169.254.11.5 address-family ipv4-unicast route-map export 'TO-AWS'",
        "neighbor 169.254.11.5 address-family ipv4-unicast route-map export 'TO-AWS-TUN2'",
    )
    result = judge(text, known, policy)
    hits = {f.value for f in result.findings if f.rule == "bgp-prepend-per-tunnel"}
    assert hits == {"169.254.11.1: 65010 65010; 169.254.11.5: 65010 65010 65010"}
