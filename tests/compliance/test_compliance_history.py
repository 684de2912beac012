"""History (new / standing / fixed), the overlap lock, and policy validation."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import yaml

from tasks.compliance.engine import Finding, HostResult, fingerprint
from tasks.compliance.history import History
from tasks.compliance.lock import AlreadyRunning, RunLock
from tasks.compliance.policy import DEFAULT_POLICY, PolicyError, load_policy


def result(
    host: str, *wheres: str, rule: str = "tunnel-mtu", error: str | None = None
) -> HostResult:
    findings = [
        Finding(host, rule, "medium", "m", "f", w, "mtu 1436", fingerprint(rule, w)) for w in wheres
    ]
    return HostResult(host, "vyos", "vyos-set", findings, evaluated=[rule], error=error)


def test_new_then_standing_then_fixed(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite") as history:
        first = [result("r1", "vti0", "vti1")]
        assert history.record(first, "offline", at="2025-01-01T00:00:00+00:00") == []
        assert [f.status for f in first[0].findings] == ["new", "new"]

        second = [result("r1", "vti0")]
        fixed = history.record(second, "offline", at="2025-01-01T01:00:00+00:00")
        assert second[0].findings[0].status == "standing"
        assert second[0].findings[0].since == "2025-01-01T00:00:00+00:00"
        assert [(x.host, x.where, x.first_seen) for x in fixed] == [
            ("r1", "vti1", "2025-01-01T00:00:00+00:00")
        ]

        third = [result("r1", "vti0", "vti1")]  # comes back: a new finding again
        history.record(third, "offline", at="2025-01-01T02:00:00+00:00")
        assert [(f.where, f.status) for f in third[0].findings] == [
            ("vti0", "standing"),
            ("vti1", "new"),
        ]


def test_only_judged_hosts_and_rules_can_be_fixed(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite") as history:
        history.record([result("r1", "vti0"), result("r2", "vti0")], "live")
        # r2 not in this run; r1 unreachable; a rule not evaluated on r1 either
        fixed = history.record(
            [result("r1", error="unreachable"), result("r1", rule="other")], "live"
        )
        assert fixed == []
        assert [row[:2] for row in history.open_findings()] == [
            ("r1", "tunnel-mtu"),
            ("r2", "tunnel-mtu"),
        ]


def _try_lock(path: Path, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        with RunLock(path):
            queue.put("acquired")
    except AlreadyRunning as exc:
        queue.put(str(exc))


def test_second_run_refuses_while_first_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    with RunLock(path):
        proc = multiprocessing.Process(target=_try_lock, args=(path, queue))
        proc.start()
        proc.join(10)
        message = queue.get(timeout=5)
    assert "refusing to overlap" in message and "pid" in message
    with RunLock(path):  # released: the next run goes ahead
        pass
    with pytest.raises(AlreadyRunning), RunLock(path), RunLock(path):
        pass


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    mutate(data)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rules"].append({**d["rules"][0], "id": "no-such-rule"}), "unknown rule id"),
        (lambda d: d["rules"].pop(0), "is missing"),
        (lambda d: d["rules"][5]["params"].pop("dh_group_floor"), "'dh_group_floor' is required"),
        (lambda d: d["rules"][0].update(severity="urgent"), "severity"),
        (lambda d: d["rules"].append(d["rules"][0]), "duplicate rule id"),
    ],
)
def test_policy_mistakes_stop_the_run(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyError, match=message):
        load_policy(_write(tmp_path, mutate))


def test_shipped_policy_loads_and_a_rule_can_be_disabled(tmp_path: Path) -> None:
    assert load_policy().spec("ipsec-weak-crypto").params["dh_group_floor"] == 14
    path = _write(tmp_path, lambda d: d["rules"][0].update(enabled=False))
    assert not load_policy(path).rules[0].enabled
