"""The failover's pieces without a lab: commands per platform, measurements, judgement, undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.failover.observe import Switch, VgwWatch, observer_for, switch_of
from tasks.failover.policy import FailoverError, FrrChanger, VyosChanger, prepend_line, table_of
from tasks.failover.records import judge_prechecks, new_problems
from tasks.failover.undo import UndoStack, shielded
from tasks.lab.probes import ProbeRecord
from tasks.model import Router
from tasks.verify.report import Check, VerifyReport


def router(name: str = "r1", role: str = "primary", rank: int = 0, **extra: object) -> Router:
    data: dict[str, object] = {
        "name": name,
        "platform": "frr",
        "role": role,
        "rank": rank,
        "asn": 65010,
        "vpc": {"id": "vpc-1", "networks": ["10.77.0.0/24"]},
        "wan": {"interface": "eth0", "address": "198.18.0.11"},
        "tunnels": [
            {"name": "tun1", "interface": "ipsec0", "outside_address": "198.18.0.100",
             "inside_cidr": "169.254.10.0/30", "psk": {"env": "X"}},
            {"name": "tun2", "interface": "ipsec1", "outside_address": "198.18.0.101",
             "inside_cidr": "169.254.10.4/30", "psk": {"env": "Y"}},
        ],
    }  # fmt: skip
    data.update(extra)
    if data["platform"] == "vyos":  # VyOS names its VTI interfaces vtiN (issue 13)
        for index, tunnel in enumerate(data["tunnels"]):  # type: ignore[arg-type]
            tunnel["interface"] = f"vti{index}"
    return Router.model_validate(data)


class FakeFrrDriver:
    def __init__(self, r: Router, answer: str = "") -> None:
        self.router = r
        self.commands: list[str] = []
        self.answer = answer

    def sh(self, command: str, check: bool = True, timeout: float = 60) -> tuple[int, str]:
        self.commands.append(command)
        return 0, self.answer


def test_frr_drain_prepends_and_refreshes_each_peer() -> None:
    driver = FakeFrrDriver(router())
    FrrChanger(driver).set_prepend(4)  # type: ignore[arg-type]
    (command,) = driver.commands
    assert "-c 'route-map TO-AWS permit 10' -c 'set as-path prepend 65010 65010 65010 65010'" in (
        command
    )
    assert "-c 'clear ip bgp 169.254.10.1 soft out' -c 'clear ip bgp 169.254.10.5 soft out'" in (
        command
    )


def test_frr_undo_restores_the_rendered_prepend_exactly() -> None:
    assert prepend_line(router(), 0) == "no set as-path prepend"
    backup = router("r2", "backup", 1)
    assert prepend_line(backup, backup.prepend_count) == "set as-path prepend 65010 65010"


def test_frr_maintenance_shuts_every_vgw_session() -> None:
    driver = FakeFrrDriver(router())
    changer = FrrChanger(driver)  # type: ignore[arg-type]
    changer.set_shutdown(True)
    changer.set_shutdown(False)
    assert "-c 'router bgp 65010' -c 'neighbor 169.254.10.1 shutdown' -c " in driver.commands[0]
    assert "-c 'no neighbor 169.254.10.5 shutdown'" in driver.commands[1]


def test_frr_refused_line_is_an_error() -> None:
    driver = FakeFrrDriver(router(), answer="% Unknown command: set as-path prepend x")
    with pytest.raises(FailoverError, match="vtysh refused"):
        FrrChanger(driver).set_prepend(2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("syntax", "prepend", "shutdown"),
    [
        ("1.4", "set policy route-map TO-AWS rule 10 set as-path prepend '65010 65010'",
         "set protocols bgp neighbor 169.254.10.1 shutdown"),
        ("1.3", "set policy route-map TO-AWS rule 10 set as-path-prepend '65010 65010'",
         "set protocols bgp 65010 neighbor 169.254.10.1 shutdown"),
    ],
)  # fmt: skip
def test_vyos_lines_follow_the_template_syntax(syntax: str, prepend: str, shutdown: str) -> None:
    r = router(platform="vyos", vyos_syntax=syntax)
    assert prepend_line(r, 2) == prepend
    assert table_of(r)["shutdown"].format(asn=r.asn, peer="169.254.10.1") == shutdown


def test_vyos_commits_without_saving() -> None:
    # The driver's own conversation (configure, lines, commit, exit; never save) is tested
    # against the scripted VyOS device in tests/drivers; here: which lines and op commands.
    class Driver:
        def __init__(self) -> None:
            self.router = router(platform="vyos")
            self.sent: list[str] = []

        def commit_unsaved(self, lines: list[str], confirm_minutes: int | None = None) -> None:
            self.sent.extend([f"<commit_unsaved confirm={confirm_minutes}>", *lines])

        def confirm_unsaved(self) -> bool:
            self.sent.append("<confirm_unsaved>")
            return True

        def show(self, command: str) -> str:
            self.sent.append(command)
            return ""

    drv = Driver()
    VyosChanger(drv).set_prepend(3)  # type: ignore[arg-type]
    assert drv.sent[0] == "<commit_unsaved confirm=None>" and "as-path" in drv.sent[1]
    assert drv.sent[-2:] == ["reset bgp 169.254.10.1 soft out", "reset bgp 169.254.10.5 soft out"]

    # The drain guard rides on the drain's own commit, as a commit-confirm in whole minutes;
    # later commits are plain; the fail-back's disarm is a confirm without save.
    drv.sent.clear()
    changer = VyosChanger(drv)  # type: ignore[arg-type]
    changer.arm_guard(130, "failover by test")
    changer.set_prepend(3)
    changer.set_shutdown(True)
    assert changer.disarm_guard() is True
    commits = [line for line in drv.sent if line.startswith("<")]
    assert commits == ["<commit_unsaved confirm=3>", "<commit_unsaved confirm=None>",
                       "<confirm_unsaved>"]  # fmt: skip


def test_frr_drain_guard_runs_the_run_s_own_undos() -> None:
    class GuardDriver(FakeFrrDriver):
        def arm_drain_guard(self, script: str, seconds: int, owner: str) -> None:
            self.commands.append(f"<guard {seconds}s by {owner}>\n{script}")

    driver = GuardDriver(router())
    FrrChanger(driver).arm_guard(25, "failover by test")  # type: ignore[arg-type]
    (armed,) = driver.commands
    head, sessions, prepend = armed.split("\n")
    assert head == "<guard 25s by failover by test>"
    assert "-c 'no neighbor 169.254.10.1 shutdown' -c 'no neighbor 169.254.10.5 shutdown'" in (
        sessions
    )
    assert "-c 'no set as-path prepend'" in prepend and "soft out" in prepend


def _records(spec: list[tuple[int, str, float]]) -> list[ProbeRecord]:
    return [ProbeRecord(seq, src, at - 0.001, at) for seq, src, at in spec]


def test_switch_timing_counts_from_the_last_probe_on_the_old_path() -> None:
    records = _records([(0, "A", 9.9), (1, "A", 10.1), (2, "B", 10.2), (3, "A", 10.3),
                        (5, "B", 10.5), (6, "B", 10.6)])  # fmt: skip
    sw = switch_of(records, sent=7, t0=10.0, new_source="B", old_source="A")
    assert sw.traffic_s == 0.5  # the B at 10.2 does not count: A came back after it
    assert sw.lost == 1 and sw.received == 6
    assert sw.outage_s == 0.2
    assert sw.via_other == 0


def test_switch_that_never_happened_has_no_time() -> None:
    sw = switch_of(_records([(0, "A", 10.1)]), sent=1, t0=10.0, new_source="B", old_source="A")
    assert sw == Switch(sent=1, received=1, lost=0, outage_s=0.1, traffic_s=None)


def test_vgw_watch_first_is_the_start_of_the_last_stable_run() -> None:
    watch = VgwWatch(observer=None)  # type: ignore[arg-type]
    watch.changes = [(1.0, "r1"), (2.0, "r2"), (2.5, "r1"), (3.0, "r2")]
    assert watch.first("r2", since=1.5) == 3.0
    assert watch.first("r1", since=0.0) is None
    watch.changes = [(1.0, "r2")]
    assert watch.first("r2", since=1.5) == 1.5


def _verify(*checks: Check) -> VerifyReport:
    return VerifyReport(list(checks))


def test_prechecks_pick_the_best_healthy_backup() -> None:
    p, b1, b2 = router(), router("r2", "backup", 1), router("r3", "backup", 2)
    report = _verify(Check("bgp_session", "r2/tun1", "fail", "backup", "r2 down"))
    healthy, reasons = judge_prechecks(report, p, [b2, b1])
    assert [r.name for r in healthy] == ["r3"] and reasons == []


def test_prechecks_refuse_without_a_healthy_backup_and_say_why() -> None:
    p, b1 = router(), router("r2", "backup", 1)
    report = _verify(Check("bgp_session", "r2/tun1", "fail", "backup", "169.254.10.9 is Idle"))
    healthy, reasons = judge_prechecks(report, p, [b1])
    assert healthy == []
    assert reasons == [
        "no healthy backup (r2/tun1 bgp_session: 169.254.10.9 is Idle): the primary is the "
        "last healthy path"
    ]


def test_prechecks_refuse_a_broken_primary_or_unverifiable_state() -> None:
    p, b1 = router(), router("r2", "backup", 1)
    broken = _verify(Check("data_plane", "vpc-1", "fail", "primary", "probe lost"))
    assert judge_prechecks(broken, p, [b1])[1] == ["vpc-1 data_plane: fail: probe lost"]
    unknown = _verify(Check("aws", "aws", "error", "info", "throttled"))
    assert judge_prechecks(unknown, p, [b1])[1] == ["aws aws: error: throttled"]
    assert judge_prechecks(_verify(), p, [])[1] == [
        "vpc-1 has no backup router: draining would cut it off"
    ]


def test_undo_stack_unwinds_newest_first_and_survives_a_failed_undo() -> None:
    done: list[str] = []
    stack = UndoStack()
    stack.push("first", lambda: done.append("first"))
    stack.push("broken", lambda: 1 / 0)  # type: ignore[func-returns-value]
    stack.push("last", lambda: done.append("last"))
    assert stack.unwind() is False
    assert done == ["last", "first"] and stack.done == ["last", "first"]
    assert stack.failed and stack.failed[0].startswith("broken: ZeroDivisionError")
    assert not stack


def test_undo_out_of_order_is_refused() -> None:
    stack = UndoStack()
    stack.push("prepend", lambda: None)
    stack.push("shutdown", lambda: None)
    with pytest.raises(LookupError, match="newest is 'shutdown'"):
        stack.pop("prepend")


def test_shielded_returns_and_reraises() -> None:
    assert shielded(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        shielded(lambda: 1 / 0)


def test_observers_by_kind_unknown_refused_naming_the_known_kinds() -> None:
    """No kind means the routers' counters (issue 14); an unknown kind or an ssm observer
    without its instance is refused before anything is touched."""
    assert observer_for(None, {}).kind == "counters"
    with pytest.raises(FailoverError, match="known kinds: counters, lab, ssm"):
        observer_for({"kind": "bogus"})
    with pytest.raises(FailoverError, match="instance_id"):
        observer_for({"kind": "ssm"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["BOGUS_KIND"], "known kinds: counters, lab, ssm"),
        (["--mode", "hard"], "for the lab only"),
        (["--role", "primary"], "takes a whole VPC"),
    ],
)
def test_runbook_refuses_bad_input_with_exit_2(
    args: list[str], message: str, tmp_path: Path
) -> None:
    """Bad input is refused before any router is contacted.

    The repository's own inventory has documentation hostnames, which every runbook that
    connects refuses first; here they are loopback addresses (never contacted) so the failover
    checks speak. ``BOGUS_KIND``: the config names a probe kind that does not exist.
    """
    import subprocess
    import sys

    import yaml

    from tasks import PROJECT_ROOT

    inventory = PROJECT_ROOT / "inventory"
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    for index, host in enumerate(hosts.values(), start=11):
        host["hostname"] = f"127.0.0.{index}"
    (tmp_path / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    config = tmp_path / "config.yaml"
    options = {"host_file": str(tmp_path / "hosts.yaml"),
               "group_file": str(inventory / "groups.yaml"),
               "defaults_file": str(inventory / "defaults.yaml")}  # fmt: skip
    conf: dict[str, object] = {"inventory": {"plugin": "SimpleInventory", "options": options},
                               "logging": {"enabled": False}}  # fmt: skip
    if "BOGUS_KIND" in args:
        conf["user_defined"] = {"probe": {"kind": "bogus"}}
        args = [a for a in args if a != "BOGUS_KIND"]
    config.write_text(yaml.safe_dump(conf))
    vpc = sorted({r.vpc.id for r in _inventory_routers()})[0]
    proc = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "runbooks" / "failover.py"), "-c", str(config),
         "--vpc", vpc, *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr


def _inventory_routers() -> list[Router]:
    from tasks.cli import DEFAULT_CONFIG
    from tasks.inventory import load, router_of

    return [router_of(h) for h in load(DEFAULT_CONFIG).inventory.hosts.values()]


def test_undo_reconnects_once_when_the_session_died() -> None:
    """A long hold can outlive the SSH session: the undo reconnects and retries."""
    from tasks.errors import DriverError
    from tasks.failover.run import FailoverRun

    class Flaky(FakeFrrDriver):
        opened = 0

        def sh(self, command: str, check: bool = True, timeout: float = 60) -> tuple[int, str]:
            if not self.opened:
                raise DriverError("r1: socket closed")
            return super().sh(command, check, timeout)

        def open(self) -> None:
            self.opened += 1

        def close(self) -> None:
            pass

    run = FailoverRun.__new__(FailoverRun)
    run.primary = router()
    run.driver = Flaky(run.primary)  # type: ignore[assignment]
    run.changer = FrrChanger(run.driver)  # type: ignore[arg-type]
    run.reconnecting(lambda c: c.set_shutdown(False))
    assert run.driver.opened == 1  # type: ignore[attr-defined]
    assert "no neighbor 169.254.10.1 shutdown" in run.driver.commands[0]  # type: ignore[attr-defined]


def test_the_post_check_holds_only_new_problems_against_the_test() -> None:
    """Issue 17 (11): a backup that was dead before the test (r3 here) made the post-check
    poll for 90 s and exit 5 "primary NOT PROVEN RESTORED" while the primary was fine."""
    before = VerifyReport([Check("ipsec_sa", "r3/tun1", "fail", "backup", "no SA"),
                           Check("ipsec_sa", "r1/tun1", "pass", "primary", "up")])  # fmt: skip
    known = {(c.check, c.target) for c in before.checks if c.status == "fail"}
    assert new_problems(before, known) == []
    after = VerifyReport([*before.checks, Check("bgp_session", "r1/tun2", "fail", "primary", "x"),
                          Check("collect", "r2", "error", "backup", "timeout")])  # fmt: skip
    assert [(c.check, c.target) for c in new_problems(after, known)] == [
        ("bgp_session", "r1/tun2"), ("collect", "r2")]  # fmt: skip


@pytest.mark.parametrize("outcome", ["aborted", "interrupted"])
def test_an_abort_before_any_change_says_nothing_was_changed(outcome: str) -> None:
    """Issue 17: failover exited 4, whose documented meaning is 'primary restored', when the
    pre-check failed and nothing had been touched. The report and --help now tell the truth."""
    from script_loader import load_runbook

    from tasks.failover.records import FailoverReport

    runbook = load_runbook("failover")
    report = FailoverReport("vpc-a", "drain", "r1", outcome=outcome, error="r2 did not answer")
    text = runbook.render(report)
    assert "nothing was changed" in text.lower(), text
    assert "restored" not in text, text
    code = {"aborted": "4", "interrupted": "130"}[outcome]
    line = next(x for x in runbook.EPILOG.splitlines() if x.strip().startswith(code + " "))
    assert "nothing was changed" in line or "nothing changed" in line, line
