"""ISP health (issue 18): the inventory's rules, what each platform renders, the FRR monitor's
state machine run for real by sh, the apply order, and how verify judges a monitor's state.

The monitor test runs the rendered script itself under /bin/sh; only the programs it calls
(ping, ip, vtysh, sleep, logger) are stand-ins on PATH, recording each call. The lab tests
(tests/lab/test_isp_health_lab.py) run the same script against real FRR and a real ISP break.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from inventory_factory import base_hosts, write_inventory
from pydantic import ValidationError

from tasks.errors import InventoryError
from tasks.failover.faults import FAULTS
from tasks.inventory import load
from tasks.isp_health import HealthState, health_checks
from tasks.model import Router
from tasks.model.isp import HEALTH_TOKEN, IspHealth
from tasks.platforms.frr.apply import EMPTY_HEALTH, HEALTH_PID, apply_commands
from tasks.render import render_router

HEALTH = {"targets": ["198.18.100.10", "198.18.100.11"], "gateway": "198.51.100.1"}


def routers(tmp_path: Path, platform: str = "frr", **health: Any) -> dict[str, Router]:
    """r1 (primary) with isp_health (``health`` overrides), r2 and r3 without."""
    hosts = base_hosts(platform)
    hosts["r1"]["data"]["isp_health"] = {**HEALTH, **health}
    nr = load(write_inventory(tmp_path, hosts))
    return {name: h.data["router"] for name, h in nr.inventory.hosts.items()}


# ---- inventory --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "change", "field", "words"),
    [
        ("frr", {"action": "demote"}, "isp_health.action", "only advertise or withdraw"),
        ("frr", {"action": "flap"}, "isp_health.action", "use withdraw"),
        ("frr", {"targets": []}, "isp_health.targets", "at least 1"),
        ("frr", {"interval": 0}, "isp_health.interval", "greater than or equal to 1"),
        ("vyos", {"gateway": None}, "isp_health.gateway", "next-hop"),
        ("vyos", {"fall": 3}, "isp_health.fall", "first failed check"),
        ("vyos", {"timeout": 2}, "isp_health.timeout", "fixed 1 s"),
        ("vyos-1.3", {}, "isp_health", "VyOS 1.3 has no `protocols failover`"),
    ],
)
def test_bad_health_settings_are_refused_naming_host_and_field(
    tmp_path: Path, platform: str, change: dict[str, Any], field: str, words: str
) -> None:
    hosts = base_hosts(platform.split("-")[0])
    if platform == "vyos-1.3":
        hosts["r1"]["data"]["vyos_syntax"] = "1.3"
    hosts["r1"]["data"]["isp_health"] = {**HEALTH, **change}
    with pytest.raises(InventoryError) as err:
        load(write_inventory(tmp_path, hosts))
    text = str(err.value)
    assert "r1" in text and field in text and words in text, text


def test_a_vpc_keeps_one_router_that_never_withdraws_on_health(tmp_path: Path) -> None:
    hosts = base_hosts("frr")
    for host in hosts.values():
        host["data"]["isp_health"] = dict(HEALTH)
    with pytest.raises(InventoryError) as err:
        load(write_inventory(tmp_path, hosts))
    text = str(err.value)
    assert all(f"{name}: isp_health" in text for name in ("r1", "r2", "r3")), text
    assert "last resort" in text
    del hosts["r3"]["data"]["isp_health"]
    load(write_inventory(tmp_path / "ok", hosts))  # two of three guarded: accepted


def test_detection_times_follow_interval_fall_and_timeout() -> None:
    health = IspHealth.model_validate({"targets": ["192.0.2.9"], "interval": 1, "fall": 2})
    assert (health.falls, health.rises, health.detection_s, health.return_s) == (2, 3, 3, 4)
    slow = IspHealth.model_validate({"targets": ["192.0.2.9"], "interval": 5, "timeout": 2})
    assert (slow.detection_s, slow.return_s) == (20, 20)


# ---- render -----------------------------------------------------------------------------------


def test_frr_advertises_the_default_only_while_the_token_is_held(tmp_path: Path) -> None:
    files = render_router(routers(tmp_path)["r1"])
    conf = files["frr.conf"]
    for line in (
        f"ip prefix-list ISP-HEALTH-TOKEN seq 10 permit {HEALTH_TOKEN}/32",
        "route-map ISP-HEALTHY permit 10",
        " bgp conditional-advertisement timer 5",
        "  redistribute kernel route-map ISP-HEALTHY",
        "  neighbor 169.254.10.1 advertise-map TO-AWS exist-map ISP-HEALTHY",
        "  neighbor 169.254.10.5 advertise-map TO-AWS exist-map ISP-HEALTHY",
    ):
        assert line + "\n" in conf, line
    # The token never leaves: what goes to AWS is still filtered to 0.0.0.0/0 only.
    to_aws = conf.split("route-map TO-AWS permit 10\n")[1].split("exit")[0]
    assert "match ip address prefix-list DEFAULT-ONLY" in to_aws
    script = files["isp-health.sh"]
    assert 'TARGETS="198.18.100.10 198.18.100.11"' in script
    assert 'PEERS="169.254.10.1 169.254.10.5"' in script
    assert "-I eth0" in script and "-ge 3 ]" in script


@pytest.mark.parametrize("maintenance", [None, True])
def test_no_checks_in_force_renders_nothing_conditional(tmp_path: Path, maintenance: Any) -> None:
    """A router without isp_health, or with it in maintenance, advertises unconditionally and
    runs no monitor (the empty script the driver reads as "no monitor")."""
    found = routers(tmp_path, maintenance=bool(maintenance))
    router = found["r1"] if maintenance else found["r2"]
    files = render_router(router)
    assert files["isp-health.sh"] == EMPTY_HEALTH
    assert "advertise-map" not in files["frr.conf"] and "redistribute" not in files["frr.conf"]


def test_vyos_renders_failover_conditional_advertisement_and_the_kick(tmp_path: Path) -> None:
    text = render_router(routers(tmp_path, "vyos", interval=3)["r1"])["config.set"]
    failover = f"set protocols failover route {HEALTH_TOKEN}/32 next-hop 198.51.100.1"
    for line in (
        f"{failover} check target '198.18.100.10'",
        f"{failover} check target '198.18.100.11'",
        f"{failover} check timeout '3'",
        f"{failover} interface 'eth0'",
        "set protocols bgp address-family ipv4-unicast redistribute kernel route-map 'ISP-HEALTHY'",
        "set protocols bgp parameters conditional-advertisement timer '5'",
        "set protocols bgp neighbor 169.254.10.1 address-family ipv4-unicast "
        "conditionally-advertise exist-map 'ISP-HEALTHY'",
        "set service event-handler event VPC-HA-ISP-HEALTH filter syslog-identifier "
        "'vyos-failover'",
    ):
        assert line in text.splitlines(), line


def test_vyos_deploy_removes_the_health_nodes_it_owns() -> None:
    from tasks.platforms.vyos.owned import deletions

    running = [
        f"set protocols failover route '{HEALTH_TOKEN}/32' next-hop 198.51.100.1 interface 'eth0'",
        "set service event-handler event VPC-HA-ISP-HEALTH script path '/usr/bin/vtysh'",
        "set policy route-map ISP-HEALTHY rule 10 action 'permit'",
        "set protocols bgp address-family ipv4-unicast redistribute kernel route-map 'ISP-HEALTHY'",
        "set protocols bgp parameters conditional-advertisement timer '5'",
        "set protocols bgp address-family ipv4-unicast redistribute connected",
    ]
    assert deletions(running, []) == [
        "delete policy route-map ISP-HEALTHY",
        "delete protocols bgp address-family ipv4-unicast redistribute kernel",
        "delete protocols bgp parameters conditional-advertisement",
        f"delete protocols failover route {HEALTH_TOKEN}/32",
        "delete service event-handler event VPC-HA-ISP-HEALTH",
    ]


# ---- the FRR monitor, run by sh ----------------------------------------------------------------

STUBS = {
    # ping: the Nth check answers as line N of $PLAN says (ok / fail)
    "ping": 'n=$(cat "$DIR/n"); sed -n "$((n + 1))p" "$DIR/plan" | grep -q ok',
    "ip": 'echo "$(cat "$DIR/n") ip $*" >> "$DIR/calls"',
    # vtysh: neighbors always show the status last "cleared" for; every call is recorded
    "vtysh": 'echo "$(cat "$DIR/n") vtysh $*" >> "$DIR/calls"',
    "logger": 'echo "$(cat "$DIR/n") log $*" >> "$DIR/calls"',
    # sleep: one check done; stop the monitor after the plan's last line
    "sleep": textwrap.dedent("""\
        n=$(( $(cat "$DIR/n") + 1 )); echo $n > "$DIR/n"
        cp "$DIR/state" "$DIR/state.$n"
        [ "$n" -ge "$(wc -l < "$DIR/plan")" ] && kill $PPID
        exit 0"""),
}


def run_monitor(tmp_path: Path, router: Router, plan: list[str]) -> tuple[list[str], str]:
    """Run the rendered monitor through ``plan``; (state after each check, recorded calls)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    (tmp_path / "n").write_text("0\n")
    (tmp_path / "plan").write_text("\n".join(plan) + "\n")
    (tmp_path / "calls").write_text("")
    script = tmp_path / "isp-health.sh"
    script.write_text(render_router(router)["isp-health.sh"])
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "DIR": str(tmp_path)}
    subprocess.run(["sh", str(script), str(tmp_path / "state")], env=env, timeout=30,
                   check=False)  # fmt: skip
    states = [(tmp_path / f"state.{i}").read_text().split()[0] for i in range(1, len(plan) + 1)]
    return states, (tmp_path / "calls").read_text()


def test_monitor_withdraws_after_fall_and_returns_after_rise(tmp_path: Path) -> None:
    router = routers(tmp_path / "inv", fall=2, rise=3)["r1"]
    plan = ["ok", "fail", "ok", "fail", "fail", "fail", "ok", "ok", "fail", "ok", "ok", "ok"]
    states, calls = run_monitor(tmp_path, router, plan)
    # one bad check is not enough (fall 2); two in a row are; three good ones bring it back
    assert states == ["up", "up", "up", "up", "down", "down", "down", "down", "down", "down",
                      "down", "up"]  # fmt: skip
    token = f"{HEALTH_TOKEN}/32"
    assert f"4 ip route del blackhole {token}" in calls
    assert f"11 ip route replace blackhole {token}" in calls
    # each change of the token is followed by a soft-out clear of every AWS peer
    for check in ("4", "11"):
        for peer in ("169.254.10.1", "169.254.10.5"):
            assert f"{check} vtysh -c clear bgp ipv4 unicast {peer} soft out" in calls, calls
    assert "ISP path down" in calls and "ISP path up again" in calls


def test_monitor_restarted_while_down_stays_down(tmp_path: Path) -> None:
    """A redeploy restarts the monitor: it must not re-advertise a broken ISP on start."""
    router = routers(tmp_path / "inv", fall=2, rise=2)["r1"]
    (tmp_path / "state").write_text("down since=1 checked=2 fails=5 goods=0\n")
    states, calls = run_monitor(tmp_path, router, ["ok", "ok", "ok"])
    assert states == ["down", "up", "up"], calls


# ---- apply order -----------------------------------------------------------------------------


def test_the_monitor_starts_before_frr_reload_and_stops_for_good(tmp_path: Path) -> None:
    router = routers(tmp_path)["r1"]
    files = render_router(router)
    commands = apply_commands(router, files, "/etc/vpc-ha")
    start = next(i for i, c in enumerate(commands) if "setsid sh" in c)
    reload = next(i for i, c in enumerate(commands) if "frr-reload.py --reload" in c)
    assert start < reload and "9>&-" in commands[start]
    stop = apply_commands(router, {"isp-health.sh": EMPTY_HEALTH}, "/etc/vpc-ha")
    assert len(stop) == 1 and HEALTH_PID in stop[0]
    assert f"ip route del blackhole {HEALTH_TOKEN}/32" in stop[0]


# ---- verify -----------------------------------------------------------------------------------


def test_health_state_parses_the_monitor_line() -> None:
    state = HealthState.parse("down since=100 checked=130 fails=4 goods=0", True, now=131.0)
    assert (state.path_up, state.since, state.checked_age_s) == (False, 100.0, 1.0)
    assert HealthState.parse("garbage", True, now=0).path_up is None


@pytest.mark.parametrize(
    ("role", "state", "status", "severity", "words"),
    [
        ("primary", HealthState(True, True, 1, 0.5), "pass", "primary", "ISP isp-a (eth0) up"),
        ("primary", HealthState(False, True, 1, 0.5), "fail", "primary",
         "ISP isp-a (eth0) down since"),
        ("backup", HealthState(False, True, 1, 0.5), "fail", "backup", "cannot take the traffic"),
        ("primary", None, "fail", "redundancy", "not running"),
        ("primary", HealthState(True, False), "fail", "redundancy", "not running"),
        ("primary", HealthState(True, True, 1, 999.0), "fail", "redundancy", "last checked 999s"),
        ("primary", HealthState(None, True, None, 1.0), "error", "primary", "cannot be read"),
    ],
)  # fmt: skip
def test_verify_judges_the_monitor(
    tmp_path: Path, role: str, state: HealthState | None, status: str, severity: str, words: str
) -> None:
    router = routers(tmp_path)["r1"]
    router = router.model_copy(update={
        "role": role, "rank": 0 if role == "primary" else 1,
        "wan": router.wan.model_copy(update={"isp": "isp-a"}),
    })  # fmt: skip
    [check] = health_checks(router, state)
    assert (check.check, check.status, check.severity) == ("isp_health", status, severity)
    assert words in check.detail, check.detail


def test_verify_says_nothing_without_checks_and_warns_in_maintenance(tmp_path: Path) -> None:
    found = routers(tmp_path, maintenance=True)
    assert health_checks(found["r2"], None) == []
    [check] = health_checks(found["r1"], None)
    assert (check.status, check.severity) == ("warn", "info") and "maintenance" in check.detail


# ---- failover --mode isp ----------------------------------------------------------------------


def test_isp_mode_needs_health_on_the_primary_and_is_bounded_by_detection(tmp_path: Path) -> None:
    fault = FAULTS["isp"]
    found = routers(tmp_path, interval=1, fall=2, rise=2)
    assert fault.refusal(found["r1"]) is None
    refusal = fault.refusal(found["r2"])
    assert refusal and "needs isp_health" in refusal and "blackhole" in refusal
    # detection (2 x 1 s + 1 s) + BGP scan 5 s + margin
    assert fault.break_bound(found["r1"], 2.0) == 10.0
    assert FAULTS["hard"].break_bound(found["r1"], 2.0) == found["r1"].bgp.holdtime + 2.0


def test_demote_message_is_the_models(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="conditional advertisement"):
        IspHealth.model_validate({"targets": ["192.0.2.9"], "action": "demote"})
