"""The lab router's VyOS login shell on a real pty, with fake hooks: what an operator sees.

Each test starts ``python -m tasks.lab.vyos.shell`` as sshd would (a pty, a process per login)
on a temporary state directory; the commit backend and the vtysh/swanctl runner are the fakes
of :mod:`vyos_fakes`, which write every call to a file. Prompts and wording are the ones the
scripted device uses, from ``../shared/vyos/BEHAVIOUR.md``; commit-confirm minutes last one
second (``--confirm-minute 1``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pty_shell import PtyShell, run_command
from vyos_fakes import calls

from tasks.lab.vyos.cli import FACTORY, VyosCli
from tasks.lab.vyos.store import Store
from tasks.lab.vyos.timer import alive, is_timer

VERSIONS = ["1.3", "1.4"]
ETH1 = "set interfaces ethernet eth1 address '192.0.2.1/24'"
OP = r"vyos@r1:~\$ $"
CONF = r"\[edit\]\r\nvyos@r1# $"
QUESTION = {"1.3": r"Proceed\? \[confirm\]$", "1.4": r"Proceed \? \[Y/n\] $"}


def login(version: str, state: Path) -> PtyShell:
    shell = PtyShell(version, state, "--host-name", "r1", "--user", "vyos", "--confirm-minute", "1")
    shell.expect(f"Welcome to VyOS \\(lab router, VyOS {version} personality\\)\r\n" + OP)
    return shell


def say(shell: PtyShell, line: str, until: str = CONF) -> str:
    """Type ``line`` and Enter; the echo and the answer, up to the prompt ``until``."""
    shell.send(line + "\r")
    return shell.expect(until)


def logout(shell: PtyShell) -> None:
    shell.send("exit\r")
    shell.expect(r"logout\r\n$")
    assert shell.close() == 0


def factory_lines(version: str) -> list[list[str]]:
    return sorted(map(list, VyosCli.with_config(version).active))


def wait_for(check: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {check}")
        time.sleep(0.05)


@pytest.mark.parametrize("version", VERSIONS)
def test_prompts_and_netmiko_set_up_lines(version: str, state: Path) -> None:
    """Op prompt, configure's [edit] prompt, exit back; netmiko's terminal lines are silent."""
    shell = login(version, state)
    assert say(shell, "set terminal length 0", OP) == "set terminal length 0\r\n" + "vyos@r1:~$ "
    assert say(shell, "set terminal width 512", OP).endswith("512\r\nvyos@r1:~$ ")
    assert say(shell, "configure") == "configure\r\n[edit]\r\nvyos@r1# "
    assert say(shell, "exit", OP) == "exit\r\nexit\r\nvyos@r1:~$ "
    logout(shell)


@pytest.mark.parametrize("version", VERSIONS)
def test_commit_and_save_persist_to_the_next_session(version: str, state: Path) -> None:
    shell = login(version, state)
    say(shell, "configure")
    assert say(shell, ETH1) == ETH1 + "\r\n[edit]\r\nvyos@r1# "
    assert say(shell, "commit") == "commit\r\n[edit]\r\nvyos@r1# "
    saved = say(shell, "save")
    assert ("Done" in saved) == (version == "1.3")  # B2.1 save: 1.4 prints nothing
    assert "Warning" not in say(shell, "exit", OP)
    logout(shell)

    rc, out = run_command(version, state, "show configuration commands")
    assert rc == 0 and ETH1 in out.splitlines()
    assert ETH1 in Store(state).read_saved(), "config.boot holds the saved config"
    applied = calls(state.parent / "calls.jsonl", "backend")
    eth1 = ["interfaces", "ethernet", "eth1", "address", "192.0.2.1/24"]
    assert len(applied) == 1 and eth1 in applied[0]["entries"]
    assert Store(state).revisions() == [1]


@pytest.mark.parametrize("version", VERSIONS)
def test_commit_the_router_refuses_fails_and_keeps_the_old_active(
    version: str, state: Path
) -> None:
    (state.parent / "refuse").write_text("BGP neighbor 169.254.10.1 requires remote-as\n")
    shell = login(version, state)
    say(shell, "configure")
    say(shell, ETH1)
    out = say(shell, "commit")
    assert "[ protocols bgp ]\r\nBGP neighbor 169.254.10.1 requires remote-as" in out
    assert "[[protocols bgp]] failed\r\nCommit failed\r\n" in out
    assert "Cannot exit: configuration modified." in say(shell, "exit")
    say(shell, "exit discard", OP)
    logout(shell)
    rc, out = run_command(version, state, "show configuration commands")
    assert rc == 0
    assert ETH1 not in out and "set system host-name 'vyos'" in out
    assert Store(state).revisions() == []


@pytest.mark.parametrize("version", VERSIONS)
def test_one_keystroke_on_13_a_line_on_14(version: str, state: Path) -> None:
    """B-App: 1.3 asks ``[confirm]`` and takes one key; 1.4 asks ``[Y/n]`` and reads a line."""
    shell = login(version, state)
    say(shell, "configure")
    say(shell, ETH1)
    say(shell, "commit-confirm 10", QUESTION[version])
    shell.send("y")
    if version == "1.3":
        assert shell.expect(CONF, timeout=5).startswith("y\r\n")
    else:
        assert "[edit]" not in shell.quiet(0.7), "1.4 waits for Enter"
        shell.send("\r")
        out = shell.expect(CONF)
        assert "Initialized commit-confirm; 10 minutes to confirm before reboot" in out
    pending = Store(state).pending()
    assert pending is not None and pending.minutes == 10 and alive(pending.pid)
    say(shell, "confirm")
    say(shell, "exit", OP)
    logout(shell)


@pytest.mark.parametrize("version", VERSIONS)
def test_unconfirmed_commit_confirm_reboots_to_saved_after_the_session_ended(
    version: str, state: Path
) -> None:
    """B2.1 timer expiry: both versions reboot; the router comes back with config.boot, applied
    by the backend, although the session that armed the timer is long gone."""
    shell = login(version, state)
    say(shell, "configure")
    say(shell, ETH1)
    say(shell, "commit-confirm 2", QUESTION[version])
    shell.send("y" if version == "1.3" else "y\r")
    shell.expect(CONF)
    pending = Store(state).pending()
    assert pending is not None and is_timer(pending.pid, state)
    assert "changes have not been saved" in say(shell, "exit", OP)
    logout(shell)
    rc, out = run_command(version, state, "show configuration commands")
    assert rc == 0
    assert ETH1 in out, "active until the timer fires"

    wait_for(lambda: Store(state).pending() is None)
    wait_for(lambda: not alive(pending.pid))
    rc, out = run_command(version, state, "show configuration commands")
    assert rc == 0
    assert ETH1 not in out and out.splitlines() == sorted(out.splitlines())
    assert Store(state).read_active() == Store(state).read_saved()
    applied = calls(state.parent / "calls.jsonl", "backend")
    assert len(applied) == 2, "the commit, then the reboot"
    assert applied[1]["pid"] == pending.pid and applied[1]["entries"] == factory_lines(version)


@pytest.mark.parametrize("version", VERSIONS)
def test_confirm_stops_the_timer_process(version: str, state: Path) -> None:
    shell = login(version, state)
    say(shell, "configure")
    say(shell, ETH1)
    say(shell, "commit-confirm 3", QUESTION[version])
    shell.send("y" if version == "1.3" else "y\r")
    shell.expect(CONF)
    pending = Store(state).pending()
    assert pending is not None and alive(pending.pid)
    out = say(shell, "confirm")
    assert ("Reboot timer stopped" in out) == (version == "1.4")  # B2.1 confirm
    assert Store(state).pending() is None
    wait_for(lambda: not alive(pending.pid), timeout=1.5)  # killed, long before it fires
    assert say(shell, "confirm").startswith("confirm\r\nNo confirm pending\r\n")
    time.sleep(max(0.0, pending.deadline - time.time()) + 1)
    say(shell, "exit", OP)
    logout(shell)
    rc, out = run_command(version, state, "show configuration commands")
    assert rc == 0
    assert ETH1 in out, "no reboot after confirm"
    assert [c["pid"] for c in calls(state.parent / "calls.jsonl", "backend")] == [shell.proc.pid]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_second_session_sees_the_pending_confirm(version: str, state: Path) -> None:
    """B2.1 commit-confirm with a confirm pending: 1.4 refuses; 1.3 commits anyway, no timer."""
    first = login(version, state)
    say(first, "configure")
    say(first, ETH1)
    say(first, "commit-confirm 10", QUESTION[version])
    first.send("y" if version == "1.3" else "y\r")
    first.expect(CONF)
    pid = Store(state).pending().pid  # type: ignore[union-attr]

    second = login(version, state)
    say(second, "configure")
    say(second, "set interfaces ethernet eth2 address '192.0.2.9/24'")
    out = say(second, "commit-confirm 10")
    assert "Another confirm is pending" in out
    rc, shown = run_command(version, state, "show configuration commands")
    assert rc == 0
    assert ("eth2" in shown) == (version == "1.3")
    assert Store(state).pending().pid == pid  # type: ignore[union-attr]
    say(second, "exit discard", OP)
    logout(second)
    say(first, "confirm")
    say(first, "exit", OP)
    logout(first)


@pytest.mark.parametrize("how", ["env", "-c"])
def test_one_command_without_a_terminal(how: str, state: Path) -> None:
    """``ssh r1 'show ip bgp summary'``: the command goes to the router's vtysh."""
    rc, out = run_command("1.4", state, "show ip bgp summary", how)
    assert (rc, out) == (0, "vtysh says: show ip bgp summary\n")
    rc, out = run_command("1.4", state, "show no such thing", how)
    assert rc == 1 and "Invalid command: [show no such thing]" in out
    runs = calls(state.parent / "calls.jsonl", "runner")
    assert runs[0]["argv"] == ["vtysh", "-c", "show ip bgp summary"]


def test_first_boot_is_the_factory_config(state: Path) -> None:
    rc, out = run_command("1.4", state, "show configuration commands")
    assert rc == 0
    assert out.splitlines() == sorted(FACTORY)
    assert Store(state).read_saved() == sorted(FACTORY)


def test_line_editing_keys_for_a_person_at_the_terminal(state: Path) -> None:
    """Backspace erases (``\\b \\b``), Ctrl-C abandons the line, Ctrl-D on an empty op-mode
    line logs out; without ``--host-name`` the prompt's host is the active system host-name."""
    shell = PtyShell("1.4", state, "--user", "vyos")
    shell.expect(r"vyos@vyos:~\$ $")
    shell.send("configX\x7fure\r")
    assert shell.expect(r"\[edit\]\r\nvyos@vyos# $") == "configX\b \bure\r\n[edit]\r\nvyos@vyos# "
    shell.send("set nonsense\x03")
    assert shell.expect(r"vyos@vyos# $") == "set nonsense^C\r\n[edit]\r\nvyos@vyos# "
    shell.send("exit\r")
    shell.expect(r"vyos@vyos:~\$ $")
    shell.send("\x04")
    shell.expect(r"logout\r\n$")
    assert shell.close() == 0
