"""The VyOS CLI model (:mod:`tasks.lab.vyos.cli`) answers as ``../shared/vyos/BEHAVIOUR.md``
says VyOS does.

Each test names the row it holds the model to (B2.1 = section 2.1, B-App = the appendix). The
model is what the driver, deploy, verify and failover tests run against, so a wrong answer
here would make those tests prove the wrong thing.
"""

from __future__ import annotations

import pytest

from tasks.lab.vyos.cli import FACTORY, VyosCli
from tasks.lab.vyos.session import Session

VERSIONS = ["1.3", "1.4"]


def session(version: str, lines: tuple[str, ...] = FACTORY) -> Session:
    s = Session(VyosCli.with_config(version, lines))
    assert s.answer("configure") == ("", False)
    return s


def say(s: Session, line: str) -> str:
    return s.answer(line)[0]


@pytest.mark.parametrize("version", VERSIONS)
def test_leaf_replaced_multi_value_kept(version: str) -> None:
    """B2.1 set (path exists): a single-value leaf is replaced, a multi-value leaf grows."""
    s = session(version)
    for line in ("set interfaces vti vti0 mtu '1399'", "set interfaces vti vti0 mtu '1400'",
                 "set interfaces vti vti0 address '169.254.10.2/30'",
                 "set interfaces vti vti0 address '169.254.20.2/30'"):  # fmt: skip
        assert say(s, line) == ""
    assert say(s, "set interfaces vti vti0 mtu '1400'").strip() == (
        "Configuration path: [interfaces vti vti0 mtu 1400] already exists"
    )
    assert say(s, "commit") == ""
    vti = [x for x in s.cli.lines() if "vti0" in x]
    assert vti == [
        "set interfaces vti vti0 address '169.254.10.2/30'",
        "set interfaces vti vti0 address '169.254.20.2/30'",
        "set interfaces vti vti0 mtu '1400'",
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_delete_absent_node_succeeds(version: str) -> None:
    """B2.1 delete (absent): "Nothing to delete", a success, nothing changes."""
    s = session(version)
    out = say(s, "delete policy route-map TO-AWS rule 10 set as-path prepend")
    assert out.strip() == "Nothing to delete (the specified node does not exist)"
    assert "failed" not in out and say(s, "compare") == s.p.no_changes


def test_bad_path_and_value_use_vyos_wording() -> None:
    """B2.1 set (bad path / bad value), checked against each version's schema."""
    s = session("1.3")
    out = say(s, "set interfaces vti vti0 ip adjust-mss '1359'")
    assert "Configuration path: [interfaces vti vti0 ip] [adjust-mss] is not valid" in out
    assert out.rstrip().endswith("Set failed")
    s = session("1.4")
    out = say(s, "set vpn ipsec ike-group AWS-IKE dead-peer-detection action 'hold'")
    assert "Value validation failed" in out and "Set failed" in out


@pytest.mark.parametrize("version", VERSIONS)
def test_delete_and_set_again_commits_nothing(version: str) -> None:
    """B2.3.6: VyOS commits the net difference of a session."""
    s = session(version, (*FACTORY, "set interfaces vti vti0 address '169.254.10.2/30'"))
    say(s, "delete interfaces vti vti0")
    say(s, "set interfaces vti vti0 address '169.254.10.2/30'")
    assert say(s, "compare") == s.p.no_changes
    assert say(s, "commit") == "No configuration changes to commit"


def test_commit_confirm_wording_per_version() -> None:
    """B-App: 1.3 asks one keystroke and prints nothing more; 1.4 asks a line, then says the
    timer is armed; both reboot when it expires (B2.1 timer expiry)."""
    s13 = session("1.3")
    say(s13, "set system host-name 'r1'")
    say(s13, "commit-confirm 2")
    assert s13.question and s13.question.one_keystroke
    assert s13.question.text.endswith("Proceed? [confirm]")
    assert "reboot in 2 minutes" in s13.question.text
    assert s13.answer("y") == ("", False) and s13.cli.timer_armed
    s14 = session("1.4")
    say(s14, "set system host-name 'r1'")
    say(s14, "commit-confirm 2")
    assert s14.question and not s14.question.one_keystroke
    assert s14.question.text.endswith("Proceed ? [Y/n] ")
    assert say(s14, "y") == "Initialized commit-confirm; 2 minutes to confirm before reboot"
    for s in (s13, s14):
        s.cli.expire_timer()
        assert s.cli.reboots == 1 and s.cli.active == s.cli.saved


@pytest.mark.parametrize(("version", "commits"), [("1.3", True), ("1.4", False)])
def test_another_confirm_pending(version: str, commits: bool) -> None:
    """B2.1 commit-confirm: 1.3 commits anyway without a new timer, 1.4 refuses."""
    s = session(version)
    s.cli.timer_armed = True
    say(s, "set system host-name 'r9'")
    out = say(s, "commit-confirm 2")
    assert out.startswith("Another confirm is pending") and s.question is None
    assert (("system", "host-name", "r9") in s.cli.active) is commits


def test_13_commit_confirm_needs_commit_revisions() -> None:
    """B2.1 commit-confirm 1.3: refused unless commit-revisions is in the active config."""
    s = session("1.3", ("set system host-name 'vyos'",))
    say(s, "set system config-management commit-revisions '100'")
    assert say(s, "commit-confirm 2") == "commit-revisions is not configured."


@pytest.mark.parametrize(("version", "done"), [("1.3", "Done"), ("1.4", "")])
def test_save_confirm_load_exit(version: str, done: str) -> None:
    """B2.1 save / confirm / load / exit, per version."""
    s = session(version)
    assert say(s, "confirm") == "No confirm pending"
    say(s, "set system host-name 'r1'")
    assert say(s, "exit").startswith("Cannot exit: configuration modified.")
    say(s, "commit")
    assert say(s, "load /config/config.boot").endswith(
        "Load complete. Use 'commit' to make changes effective."
    )
    say(s, "commit")
    assert say(s, "load /config/config.boot").endswith("No configuration changes to commit.")
    say(s, "set system host-name 'r1'")
    say(s, "commit")
    saved = say(s, "save")
    assert saved.endswith(done) if done else saved == ""
    assert say(s, "exit") == "exit"


def test_partial_commit_and_lock() -> None:
    """B2.1 commit (error): the failing subtree stays uncommitted, the rest commits; commit
    (locked): nothing commits."""
    s = session("1.4")
    s.cli.faults.commit_fails_under = "protocols bgp"
    say(s, "set system host-name 'r1'")
    say(s, "set protocols bgp system-as '65010'")
    out = say(s, "commit")
    assert "[[protocols bgp]] failed" in out and out.endswith("Commit failed")
    assert ("system", "host-name", "r1") in s.cli.active
    assert not any(e[:2] == ("protocols", "bgp") for e in s.cli.active)
    s.cli.faults.locked = True
    say(s, "set system host-name 'r2'")
    assert "temporarily locked" in say(s, "commit")
    assert ("system", "host-name", "r2") not in s.cli.active
