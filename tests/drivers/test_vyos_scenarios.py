"""Deploy, verify and failover end to end against SCRIPTED VyOS 1.3 and 1.4 routers.

Each router is a :mod:`scripted_vyos` SSH server on 127.0.0.1 in front of
:mod:`tasks.lab.vyos.cli` (the VyOS CLI model written from ``../shared/vyos/BEHAVIOUR.md``),
answering verify's show commands from its own active config (:mod:`tasks.lab.vyos.opmode`).
Not a real VyOS: what VyOS does beyond that page is not proven here. The runbooks' ``main``
runs as an operator would run it, so the exit codes are the real ones.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from inventory_factory import PSK_ENV, base_hosts, write_inventory
from script_loader import load_runbook
from scripted_vyos import Script, ScriptedVyos

import tasks.platforms.vyos.driver as vyos_driver
from tasks.drivers import driver_for
from tasks.failover.policy import VyosChanger, prepend_line, table_of
from tasks.inventory import load
from tasks.lab.vyos.cli import FACTORY
from tasks.lab.vyos.opmode import healthy_router
from tasks.render import render_router
from tasks.secrets import remember_secret

pytestmark = pytest.mark.scripted_device

PSKS = {"tun1": "Psk-Scenario-Tun1-0c4e", "tun2": "Psk-Scenario-Tun2-9d1b"}
#: Scripted devices on loopback (new ports each test): host keys are not checked here; the
#: driver tests check strict host-key handling on its own.
FAST = {"conn_timeout": 3, "auth_timeout": 3, "banner_timeout": 3, "fast_cli": True,
        "global_delay_factor": 0.1, "ssh_strict": False, "system_host_keys": False}  # fmt: skip
NETWORKS = ["10.0.0.0/24"]
VERSIONS = ["1.3", "1.4"]
deploy_main = load_runbook("deploy").main
verify_main = load_runbook("verify").main


class Site:
    """Scripted routers r1 (primary) and r2 (backup rank 1) of one VPC, and their inventory."""

    def __init__(self, tmp: Path, version: str, **script: Any) -> None:
        self.tmp, self.version = tmp, version
        self.servers = {
            name: ScriptedVyos(Script(version=version, running=set(FACTORY), **script)).__enter__()
            for name in ("r1", "r2")
        }
        for server in self.servers.values():
            healthy_router(server.cli, NETWORKS)
        self.hosts = base_hosts("vyos")
        del self.hosts["r3"]
        for name, host in self.hosts.items():
            host.update(hostname="127.0.0.1", port=self.servers[name].port, username="vyos",
                        password="vyos-test-pass")  # fmt: skip
            host["data"]["vyos_syntax"] = version
            host["connection_options"] = {"netmiko": {"extras": FAST}}
        self.write()

    def write(self) -> Path:
        self.config = write_inventory(self.tmp, self.hosts, defaults={"data": {}})
        return self.config

    def router(self, name: str) -> Any:
        return load(self.config).inventory.hosts[name].data["router"]

    def intended(self, name: str) -> list[str]:
        """FACTORY plus what the inventory renders for ``name``, PSKs revealed."""
        text = render_router(self.router(name), reveal_secrets=True)["config.set"]
        return [*FACTORY, *(line for line in text.splitlines() if line.startswith("set "))]

    def deploy(self, *hosts: str, extra: tuple[str, ...] = ()) -> tuple[int, dict[str, Any]]:
        return self._run(deploy_main, hosts, ("--confirm-timeout", "120",
                                              "--settle-timeout", "3", *extra))  # fmt: skip

    def _run(
        self, main: Callable[..., int], hosts: tuple[str, ...], extra: tuple[str, ...]
    ) -> tuple[int, dict[str, Any]]:
        """A runbook's ``main`` with ``--json``: its exit code and its report."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["-c", str(self.config), "--hosts", ",".join(hosts), "--json", *extra])
        return code, json.loads(out.getvalue())

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


@pytest.fixture
def site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Site]]:
    for tunnel, var in PSK_ENV.items():
        monkeypatch.setenv(var, PSKS[tunnel])
        remember_secret(PSKS[tunnel])
    made: list[Site] = []

    def make(version: str, **script: Any) -> Site:
        made.append(Site(tmp_path / f"s{len(made)}", version, **script))
        return made[-1]

    yield make
    for s in made:
        s.stop()


def _host(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in report["hosts"] if h["host"] == name)


# ---- deploy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_deploy_from_factory_then_redeploy_changes_nothing(
    site: Callable[..., Site], version: str
) -> None:
    s = site(version)
    r1 = s.servers["r1"]
    code, report = s.deploy("r1")
    assert code == 0, report
    assert _host(report, "r1")["status"] == "changed"
    assert r1.config_equals(s.intended("r1")), "active config is the intent on the factory base"
    assert r1.config_equals(s.intended("r1"), "saved"), "confirmed and saved"
    assert not r1.timer_pending and r1.cli.reboots == 0
    commits = r1.commits

    code, report = s.deploy("r1")
    assert code == 0 and _host(report, "r1")["status"] == "unchanged"
    assert r1.commits == commits, "an unchanged router commits nothing"
    assert r1.commands.count("commit-confirm 2") == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_backup_promoted_to_primary_loses_its_prepend(
    site: Callable[..., Site], version: str
) -> None:
    s = site(version)
    r2 = s.servers["r2"]
    assert s.deploy("r2")[0] == 0
    prepend_word = "as-path prepend" if version == "1.4" else "as-path-prepend"
    assert any(prepend_word in line for line in r2.active)
    s.hosts["r2"]["data"].update(role="primary")
    s.hosts["r2"]["data"].pop("rank")
    s.hosts["r1"]["data"].update(role="backup", rank=1)
    s.write()
    code, report = s.deploy("r2", extra=("--dry-run",))
    assert code == 0 and _host(report, "r2")["status"] == "would_change"
    assert (
        f"- set policy route-map TO-AWS rule 10 set {prepend_word}" in _host(report, "r2")["diff"]
    ), "the dry-run diff shows the deletion"
    code, report = s.deploy("r2")
    assert code == 0 and _host(report, "r2")["status"] == "changed", report
    assert not any(prepend_word in line for line in r2.active), "the prepend is gone"
    assert "set policy route-map TO-AWS rule 10 set metric '0'" in r2.active
    assert r2.config_equals(s.intended("r2"))


@pytest.mark.parametrize("version", VERSIONS)
def test_changed_inside_cidr_removes_old_address_and_neighbor(
    site: Callable[..., Site], version: str
) -> None:
    s = site(version)
    r1 = s.servers["r1"]
    r1.cli.active.add(("protocols", "static", "route", "10.9.0.0/16", "next-hop", "198.51.100.1"))
    r1.cli.saved = set(r1.cli.active)  # an operator's static route: not ours, must stay
    assert s.deploy("r1")[0] == 0
    s.hosts["r1"]["data"]["tunnels"][0]["inside_cidr"] = "169.254.20.0/30"
    s.write()
    code, report = s.deploy("r1")
    assert code == 0 and _host(report, "r1")["status"] == "changed", report
    text = "\n".join(sorted(r1.active))
    assert "169.254.10.2/30" not in text and "neighbor 169.254.10.1 " not in text
    assert "169.254.20.2/30" in text and "neighbor 169.254.20.1 " in text
    assert "set protocols static route 10.9.0.0/16 next-hop 198.51.100.1" in r1.active
    intended = [*s.intended("r1"), "set protocols static route 10.9.0.0/16 next-hop 198.51.100.1"]
    assert r1.config_equals(intended)


@pytest.mark.parametrize("version", VERSIONS)
def test_commit_error_rolls_back_and_leaves_no_timer(
    site: Callable[..., Site], version: str
) -> None:
    s = site(version, fail_commit=True)
    r1 = s.servers["r1"]
    code, report = s.deploy("r1")
    outcome = _host(report, "r1")
    assert code == 1 and outcome["status"] == "rolled_back", outcome
    assert "Commit failed" in outcome["error"] and "timer cancelled" in outcome["error"]
    assert not r1.timer_pending, "no armed timer: the router will not reboot"
    assert r1.config_equals(list(FACTORY)), "back to the factory config"
    after = r1.commands[r1.commands.index("commit-confirm 2") :]
    rollback = ["configure", "load /config/config.boot", "commit", "confirm", "exit"]
    assert any(after[i : i + 5] == rollback for i in range(len(after))), after


@pytest.mark.parametrize("version", VERSIONS)
def test_lost_session_after_apply_leaves_the_timer_armed_and_says_so(
    site: Callable[..., Site], version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = site(version)
    r1 = s.servers["r1"]
    real_apply = vyos_driver.VyosDriver.apply

    def apply_then_lose_the_session(
        self: Any, candidate: dict[str, str], confirm_timeout: int
    ) -> None:
        real_apply(self, candidate, confirm_timeout)
        r1.script.drop_on = "show"  # the post-check's first command drops the connection

    monkeypatch.setattr(vyos_driver.VyosDriver, "apply", apply_then_lose_the_session)
    code, report = s.deploy("r1")
    outcome = _host(report, "r1")
    assert code == 1 and outcome["status"] == "failed", outcome
    assert "ROLLBACK FAILED" in outcome["error"] and "reboots" in outcome["error"]
    assert r1.timer_pending, "nothing could cancel it: the timer is still armed"
    assert r1.config_equals(s.intended("r1")) and r1.config_equals(list(FACTORY), "saved")
    r1.cli.expire_timer()
    assert r1.cli.reboots == 1 and r1.config_equals(list(FACTORY)), "reboot to the saved config"


# ---- device identity -------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_a_device_that_is_another_router_is_refused_before_anything_is_read(
    site: Callable[..., Site], version: str
) -> None:
    """Issue 17 item 10: r2's inventory entry pointing at r1 (a wrong port) showed r2's whole
    config about to go onto the primary. The device deploy configured as r1 now says so, and
    r2's runs stop at the connection: no diff read, nothing changed."""
    s = site(version)
    assert s.deploy("r1")[0] == 0
    r1 = s.servers["r1"]
    assert any("vpc-ha router r1" in line for line in r1.cli.lines()), "identity recorded"
    # The operator's mistake the inventory cannot see: the two ports swapped.
    s.hosts["r1"]["port"], s.hosts["r2"]["port"] = s.servers["r2"].port, r1.port
    s.write()
    for extra in (("--dry-run",), ()):
        code, report = s.deploy("r2", extra=extra)
        error = _host(report, "r2")["error"]
        assert code == 1 and _host(report, "r2")["diff"] == "", report
        assert "r2:" in error and "says it is 'r1'" in error, error
        assert "hostname/port" in error and "--adopt" in error, error
    code, report = s._run(verify_main, ("r2",), ("--no-aws", "--no-probe"))
    assert code == 3 and any("says it is 'r1'" in c["detail"] for c in report["checks"]), report
    assert r1.config_equals(s.intended("r1")), "r1 was not touched"


@pytest.mark.parametrize("version", ["1.4"])
def test_adopt_records_the_new_identity_of_a_repurposed_device(
    site: Callable[..., Site], version: str
) -> None:
    s = site(version)
    assert s.deploy("r1")[0] == 0
    r1 = s.servers["r1"]
    # The device deployed as r1 really is r2 now (and r2's old one r1).
    s.hosts["r1"]["port"], s.hosts["r2"]["port"] = s.servers["r2"].port, r1.port
    s.write()
    code, report = s.deploy("r2", extra=("--adopt", "--dry-run"))
    assert code == 0 and _host(report, "r2")["status"] == "would_change", report
    assert "vpc-ha router r2" in _host(report, "r2")["diff"], "deploying records the new one"
    assert s.deploy("r2", extra=("--dry-run",))[0] == 1, "without --adopt it is still r1"


# ---- verify ---------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_verify_reads_every_check_and_is_healthy(site: Callable[..., Site], version: str) -> None:
    s = site(version)
    assert s.deploy("r1", "r2")[0] == 0
    code, report = s._run(verify_main, ("r1", "r2"), ("--no-aws", "--no-probe"))
    checks = [c for c in report["checks"] if c["check"] not in ("aws", "data_plane")]
    assert code == 0, [c for c in checks if c["status"] != "pass"]
    assert not any(c["status"] == "error" for c in report["checks"]), "no 'could not verify'"
    kinds = {c["check"] for c in checks if c["status"] == "pass"}
    assert {"ipsec_sa", "bgp_session", "bgp_timers", "advertise_default", "received_vpc", "nat",
            "path_decision"} <= kinds  # fmt: skip
    assert not any(c["status"] == "skip" for c in checks), "every router check was read"


@pytest.mark.parametrize("version", VERSIONS)
def test_verify_reads_stopped_ipsec_as_sas_down(site: Callable[..., Site], version: str) -> None:
    s = site(version)
    assert s.deploy("r1", "r2")[0] == 0
    stopped = "IPSec Process NOT Running\n" if version == "1.3" else "IPsec process not running"
    s.servers["r2"].cli.show["show vpn ipsec sa"] = stopped
    code, report = s._run(verify_main, ("r1", "r2"), ("--no-aws", "--no-probe"))
    sas = [c for c in report["checks"] if c["check"] == "ipsec_sa" and c["target"].startswith("r2")]
    assert code == 1 and [c["status"] for c in sas] == ["fail", "fail"]
    assert not any(c["status"] == "error" for c in report["checks"])


# ---- failover -------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_failover_drain_and_restore_sequences(site: Callable[..., Site], version: str) -> None:
    s = site(version)
    assert s.deploy("r1", "r2")[0] == 0
    r1 = s.servers["r1"]
    router = s.router("r1")
    original = s.intended("r1")
    table = table_of(router)
    peers = [str(t.aws_inside_address) for t in router.tunnels]
    shut = [table["shutdown"].format(asn=router.asn, peer=p) for p in peers]
    unshut = [table["no_shutdown"].format(asn=router.asn, peer=p) for p in peers]
    soft = [table["soft_out"].format(peer=p) for p in peers]
    driver = driver_for(load(s.config).inventory.hosts["r1"])
    driver.open()
    try:
        changer = VyosChanger(driver)
        steps: list[tuple[Callable[[], None], list[str], list[str]]] = [
            (lambda: changer.set_prepend(4), ["configure", prepend_line(router, 4), "commit",
                                              "exit", *soft], [prepend_line(router, 4)]),
            (lambda: changer.set_shutdown(True), ["configure", *shut, "commit", "exit"], shut),
            (lambda: changer.set_shutdown(False), ["configure", *unshut, "commit", "exit"], []),
            (lambda: changer.set_prepend(0), ["configure", prepend_line(router, 0), "commit",
                                              "exit", *soft], ["-prepend"]),
        ]  # fmt: skip
        drained: list[str] = []
        for act, sent, effect in steps:
            r1.commands.clear()
            act()
            assert r1.commands == sent
            if effect == ["-prepend"]:
                drained = [x for x in drained if "prepend" not in x]
            elif effect:
                drained += effect
            else:
                drained = [x for x in drained if x not in shut]
            assert r1.config_equals([*original, *drained]), f"after {sent[1]}"
            assert not r1.timer_pending and r1.config_equals(original, "saved"), "never saved"
    finally:
        driver.close()
    assert r1.config_equals(original), "restored to the original config"


@pytest.mark.parametrize("version", VERSIONS)
def test_failover_drain_guard_is_a_commit_confirm_the_fail_back_cancels(
    site: Callable[..., Site], version: str
) -> None:
    """Issue 17: the drain is armed on the router itself. On VyOS the drain's commit is a
    ``commit-confirm`` (whole minutes); the fail-back's ``confirm`` stops it without ``save``.
    If the run dies instead, the timer fires and VyOS reboots to the saved config, which has
    no drain (the scripted device's expiry follows VyOS's: B2.1 timer expiry)."""
    s = site(version)
    assert s.deploy("r1", "r2")[0] == 0
    r1 = s.servers["r1"]
    original = s.intended("r1")
    driver = driver_for(load(s.config).inventory.hosts["r1"])
    driver.open()
    try:
        changer = VyosChanger(driver)
        changer.arm_guard(130, "failover by test")
        r1.commands.clear()
        changer.set_prepend(4)
        assert "commit-confirm 3" in r1.commands and "save" not in r1.commands
        assert r1.timer_pending, "the guard is armed with the drain's own commit"
        changer.set_shutdown(True)
        assert r1.timer_pending
        changer.set_shutdown(False)
        changer.set_prepend(0)  # the fail-back, then the disarm
        r1.commands.clear()
        assert changer.disarm_guard() is True
        assert r1.commands == ["configure", "confirm", "exit"], r1.commands
        assert not r1.timer_pending and r1.config_equals(original, "saved")
        assert r1.config_equals(original)

        # The run dies after the drain: the router's own timer ends it (a reboot on VyOS).
        changer.arm_guard(60, "failover by test")
        changer.set_prepend(4)
        changer.set_shutdown(True)
    finally:
        driver.close()
    assert not r1.config_equals(original)
    assert r1.timer_pending
    r1.cli.expire_timer()
    assert r1.config_equals(original), "the reboot to the saved config ended the drain"
