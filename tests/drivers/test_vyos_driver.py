"""The ``vyos`` driver's exact command conversation, against a SCRIPTED DEVICE.

Every test here talks SSH to :mod:`scripted_vyos`, a paramiko server on 127.0.0.1 that replays
VyOS prompts and answers from a script: it is not a real VyOS router (marker
``scripted_device``). It records each command line it receives, so the tests assert the exact
conversation of each driver method, and it fails on demand (set error, commit error, dropped
connection) while the connection faults use real sockets (a closed port, a wrong password, a
changed host key).

The conversation tests share one session to the main scripted device and reset its state
between tests (a session survives each method, as it does between deploy's steps).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest
from inventory_factory import PSK_ENV, base_hosts, write_inventory
from nornir.core.inventory import Host
from scripted_vyos import Script, ScriptedVyos

from tasks.drivers import driver_for
from tasks.drivers.base import CommitError, ConnectError, PlatformDriver
from tasks.errors import DriverError
from tasks.inventory import load
from tasks.lab.vyos.cli import FACTORY
from tasks.platforms.connection import close_all
from tasks.platforms.vyos.driver import VyosDriver
from tasks.render import render_router
from tasks.secrets import MASK, redact, remember_secret

pytestmark = pytest.mark.scripted_device

#: Pre-shared keys the tests deploy: they must never show up in a log line or an exception.
PSKS = {"tun1": "Psk-Tun1-Never-Logged-5d1e", "tun2": "Psk-Tun2-Never-Logged-a7c4"}

#: Short netmiko timeouts and delays for a device on localhost.
FAST = {
    "conn_timeout": 3,
    "auth_timeout": 3,
    "banner_timeout": 3,
    "fast_cli": True,
    "global_delay_factor": 0.1,
    # A scripted device on loopback, a new port each test: host-key checking (on by default)
    # is tested on its own below (STRICT), not on every conversation.
    "ssh_strict": False,
    "system_host_keys": False,
}


def make_host(
    directory: Path,
    port: int,
    username: str = "vyos",
    password: str | None = "vyos-test-pass",
    syntax: str = "1.4",
    extras: dict[str, Any] | None = None,
) -> Host:
    """A validated Nornir host ``r1`` (platform vyos) aimed at 127.0.0.1:``port``."""
    hosts = base_hosts("vyos")
    r1 = hosts["r1"]
    r1.update({"hostname": "127.0.0.1", "port": port, "username": username})
    if password is not None:
        r1["password"] = password
    r1["data"]["vyos_syntax"] = syntax
    r1["connection_options"] = {"netmiko": {"extras": {**FAST, **(extras or {})}}}
    defaults = {"data": {}}  # non-empty: keeps Nornir from warning about an empty file
    return load(write_inventory(directory, hosts, defaults=defaults)).inventory.hosts["r1"]


@pytest.fixture
def psks(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The tunnels' PSK environment variables, set to :data:`PSKS`."""
    for tunnel, var in PSK_ENV.items():
        monkeypatch.setenv(var, PSKS[tunnel])
    return PSKS


PSK = PSKS["tun1"]
SET_LINES = [
    "set interfaces vti vti0 address '169.254.10.2/30'",
    f"set vpn ipsec authentication psk tun1 secret '{PSK}'",
    "set protocols bgp system-as '65010'",
]
#: A small rendered candidate: a comment line (never sent) and three set lines, one with a PSK.
SMALL = {"config.set": "# r1: primary of vpc-a, VyOS 1.4 syntax\n" + "\n".join(SET_LINES) + "\n"}
#: netmiko's session set-up, then the driver's identity read (which host deploy recorded)
SESSION_PREP = [
    "set terminal width 512",
    "set terminal length 0",
    "show configuration commands | match 'policy route-map TO-AWS description'",
]
#: diff and apply read the running config first: which owned nodes to delete (replace semantics)
READ = "show configuration commands"
COMMIT = ["commit-confirm 2", "y"]  # SMALL is applied with confirm_timeout=90 s: 2 minutes
ROLLBACK = ["configure", "load /config/config.boot", "commit", "confirm", "exit"]


@pytest.fixture(scope="module")
def main_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ScriptedVyos, VyosDriver, list[str]]]:
    """One scripted device and one open driver session for the whole module."""
    with ScriptedVyos(Script()) as server:
        host = make_host(tmp_path_factory.mktemp("inv"), server.port)
        driver = driver_for(host)
        assert isinstance(driver, VyosDriver)
        driver.open()
        prep = list(server.commands)
        yield server, driver, prep
        driver.close()


@pytest.fixture
def dev(
    main_session: tuple[ScriptedVyos, VyosDriver, list[str]], psks: dict[str, str]
) -> Iterator[tuple[ScriptedVyos, VyosDriver]]:
    """The shared session, its device reset to an empty config; op mode checked after."""
    server, driver, _ = main_session
    remember_secret(PSK)  # render does this for real candidates
    server.reset()
    yield server, driver
    assert not driver._in_config, "a driver method left the session in configure mode"


def test_driver_is_registered_and_satisfies_the_protocol(
    main_session: tuple[ScriptedVyos, VyosDriver, list[str]],
) -> None:
    _, driver, prep = main_session
    assert isinstance(driver, PlatformDriver)
    assert driver.platform == "vyos"
    # netmiko's own session set-up and the identity check: the only commands open() sends
    assert prep == SESSION_PREP


# ---- the exact conversation per method --------------------------------------------------------
def test_diff_conversation_and_changes_nothing(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    server, driver = dev
    text = driver.diff(SMALL)
    assert server.commands == [READ, "configure", *SET_LINES, "compare", "exit discard"]
    assert text.splitlines() == sorted(f"+ {line}" for line in SET_LINES)
    assert server.active == set() and server.commits == 0 and not server.timer_pending


def test_diff_is_empty_when_vyos_reports_no_changes(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    server, driver = dev
    server.reset(running=set(SET_LINES))
    assert driver.diff(SMALL) == ""
    # the owned nodes the candidate names are deleted and set again: no net change
    deletes = ["delete interfaces vti vti0", "delete vpn ipsec authentication psk tun1"]
    assert server.commands == [READ, "configure", *deletes, *SET_LINES, "compare", "exit discard"]


def test_apply_conversation_leaves_op_mode_with_timer_pending(
    dev: tuple[ScriptedVyos, VyosDriver],
) -> None:
    server, driver = dev
    driver.apply(SMALL, confirm_timeout=90)
    assert server.commands == [READ, "configure", *SET_LINES, *COMMIT, "exit"]
    assert server.active == set(SET_LINES) and server.timer_pending
    assert server.saved == set(), "apply must not save: rollback relies on config.boot"


@pytest.mark.parametrize(("seconds", "minutes"), [(1, 1), (60, 1), (61, 2), (600, 10)])
def test_apply_rounds_the_timeout_up_to_minutes(
    dev: tuple[ScriptedVyos, VyosDriver], seconds: int, minutes: int
) -> None:
    server, driver = dev
    driver.apply(SMALL, confirm_timeout=seconds)
    assert f"commit-confirm {minutes}" in server.commands


def test_confirm_conversation_saves(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    server, driver = dev
    driver.apply(SMALL, confirm_timeout=90)
    mark = len(server.commands)
    driver.confirm()
    assert server.commands[mark:] == ["configure", "confirm", "save", "exit"]
    assert not server.timer_pending and server.saved == set(SET_LINES)


def test_rollback_conversation_restores_saved_config_now(
    dev: tuple[ScriptedVyos, VyosDriver],
) -> None:
    server, driver = dev
    before = {"set system host-name 'r1'"}
    server.reset(running=before)
    driver.apply(SMALL, confirm_timeout=90)
    mark = len(server.commands)
    driver.rollback()
    assert server.commands[mark:] == ROLLBACK
    assert server.active == before and not server.timer_pending, "timer cancelled, no reboot"


def test_commit_unsaved_conversation_never_saves(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    server, driver = dev
    driver.commit_unsaved(list(SET_LINES))
    assert server.commands == ["configure", *SET_LINES, "commit", "exit"]
    assert server.active == set(SET_LINES) and server.saved == set()
    assert not server.timer_pending


def test_show_conversation(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    server, driver = dev
    summary = (
        "IPv4 Unicast Summary:\n"
        "BGP router identifier 198.51.100.10, local AS number 65010 vrf-id 0\n"
        "Neighbor        V   AS MsgRcvd MsgSent   TblVer  InQ OutQ  Up/Down State/PfxRcd\n"
        "169.254.10.1    4 64512     120     118        0    0    0 00:19:02            1"
    )
    server.script.show["show ip bgp summary"] = summary
    assert driver.show("show ip bgp summary") == summary
    assert server.commands == ["show ip bgp summary"]


def test_show_refuses_an_invalid_command(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    _, driver = dev
    with pytest.raises(DriverError, match="Invalid command"):
        driver.show("show ip bgp summery")


def test_second_run_reports_no_changes_and_commits_nothing(
    dev: tuple[ScriptedVyos, VyosDriver],
) -> None:
    server, driver = dev
    for _ in range(2):  # what deploy does: diff, and apply/confirm only when there is one
        if driver.diff(SMALL):
            driver.apply(SMALL, confirm_timeout=90)
            driver.confirm()
    assert server.commits == 1
    assert server.commands.count("commit-confirm 2") == 1
    assert driver.diff(SMALL) == ""


# ---- both rendered syntaxes -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("syntax", "bgp_line"),
    [("1.3", "set protocols bgp 65010 neighbor"), ("1.4", "set protocols bgp system-as '65010'")],
)
def test_rendered_candidate_of_each_syntax_is_sent_line_by_line(
    scripted_vyos: object, tmp_path: Path, psks: dict[str, str], syntax: str, bgp_line: str
) -> None:
    """Each syntax against a router of that version: VyOS 1.4 refuses 1.3 lines and back."""
    server = scripted_vyos(version=syntax, running=FACTORY)  # type: ignore[operator]
    host = make_host(tmp_path, server.port, syntax=syntax)
    candidate = render_router(host.data["router"], reveal_secrets=True)
    text = candidate["config.set"]
    sets = [line for line in text.splitlines() if line.startswith("set ")]
    assert text.startswith("#") and any(line.startswith(bgp_line) for line in sets)
    driver = driver_for(host)
    driver.open()
    try:
        server.commands.clear()
        driver.apply(candidate, confirm_timeout=120)
    finally:
        driver.close()
    assert server.commands[:2] == [READ, "configure"]
    assert server.commands[2 : 5 + len(sets)] == [*sets, "commit-confirm 2", "y", "exit"]
    assert not any(cmd.startswith("#") for cmd in server.commands)
    assert server.config_equals([*FACTORY, *sets])


# ---- faults -----------------------------------------------------------------------------------
def test_set_error_exits_discard_and_masks_the_secret(
    dev: tuple[ScriptedVyos, VyosDriver],
) -> None:
    server, driver = dev
    server.script.fail_set_on = "authentication psk"
    with pytest.raises(CommitError) as info:
        driver.apply(SMALL, confirm_timeout=90)
    assert server.commands == [READ, "configure", *SET_LINES[:2], "exit discard"]
    message = str(info.value)
    assert "set vpn ipsec authentication psk tun1 secret" in message and MASK in message
    assert PSK not in message and "Set failed" in message
    assert server.active == set() and server.commits == 0


def test_set_error_during_diff_is_a_commit_error_too(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    server, driver = dev
    server.script.fail_set_on = "system-as"
    with pytest.raises(CommitError, match="system-as"):
        driver.diff(SMALL)
    assert server.commands == [READ, "configure", *SET_LINES, "exit discard"]


def test_commit_error_discards_and_restores_saved_config(
    dev: tuple[ScriptedVyos, VyosDriver],
) -> None:
    server, driver = dev
    server.script.fail_commit = True
    with pytest.raises(CommitError, match="Commit failed") as info:
        driver.apply(SMALL, confirm_timeout=90)
    # VyOS commits the other subtrees (PARTIAL): the rollback has something to commit
    assert server.commands == [READ, "configure", *SET_LINES, *COMMIT, "exit discard", *ROLLBACK]
    assert PSK not in str(info.value) and info.value.rolled_back
    assert server.active == set() and not server.timer_pending


def test_pending_confirm_on_router_refuses_apply(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    server, driver = dev
    server.timer_pending = True  # someone else's commit-confirm is running
    with pytest.raises(CommitError, match="another commit-confirm is pending"):
        driver.apply(SMALL, confirm_timeout=90)
    assert server.commands == [READ, "configure", *SET_LINES, "commit-confirm 2", "exit discard"]
    assert server.timer_pending, "another operator's timer is left alone"


def test_confirm_after_the_timer_fired_does_not_save(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    server, driver = dev
    driver.apply(SMALL, confirm_timeout=60)
    server.timer_pending = False  # the timer fired: the router went back to its saved config
    server.active = set(server.saved)
    mark = len(server.commands)
    with pytest.raises(CommitError, match="too late to confirm"):
        driver.confirm()
    assert server.commands[mark:] == ["configure", "confirm", "exit"]


def test_no_psk_in_any_log_line_or_error(
    dev: tuple[ScriptedVyos, VyosDriver], caplog: pytest.LogCaptureFixture
) -> None:
    server, driver = dev
    caplog.set_level(logging.DEBUG)  # netmiko logs every byte at DEBUG
    errors = []
    driver.diff(SMALL)
    for fault in ("set", "commit"):
        server.reset()
        server.script.fail_set_on = "authentication psk" if fault == "set" else None
        server.script.fail_commit = fault == "commit"
        with pytest.raises(CommitError) as info:
            driver.apply(SMALL, confirm_timeout=90)
        errors.append(repr(info.value))
    server.reset()
    driver.apply(SMALL, confirm_timeout=90)
    driver.rollback()
    assert any(MASK in r.getMessage() for r in caplog.records), "the set line was logged, masked"
    assert PSK not in caplog.text
    assert not any(PSK in error for error in errors)


def test_dropped_connection_is_a_driver_error(
    scripted_vyos: object, tmp_path: Path, psks: dict[str, str]
) -> None:
    """Also proves strict host-key checking lets the right key through."""
    server = scripted_vyos(drop_on="commit-confirm")  # type: ignore[operator]
    known = _known_hosts(tmp_path / "known_hosts", server.port, server.host_key)
    extras = {**STRICT, "alt_key_file": str(known)}
    driver = driver_for(make_host(tmp_path, server.port, extras=extras))
    driver.open()
    driver.command_timeout = 0.5  # type: ignore[misc]
    try:
        with pytest.raises(DriverError) as info:
            driver.apply(SMALL, confirm_timeout=90)
        assert not isinstance(info.value, CommitError)
        assert "commit-confirm" in str(info.value) and PSK not in str(info.value)
    finally:
        driver.close()
    assert server.active == set(), "the session died before anything was committed"


def test_a_closed_session_is_reported_as_closed(
    scripted_vyos: object, tmp_path: Path, psks: dict[str, str]
) -> None:
    """The router dropping the session ends the wait at once (no prompt will ever come), with
    the default command timeout: the error says the session was closed, not "no answer"."""
    server = scripted_vyos(drop_on="show version")  # type: ignore[operator]
    driver = driver_for(make_host(tmp_path, server.port))
    driver.open()
    try:
        with pytest.raises(DriverError, match=r"no answer to 'show': the router closed the SSH"):
            driver.show("show version")
    finally:
        driver.close()


def test_no_expected_prompt_is_a_timeout_error(dev: tuple[ScriptedVyos, VyosDriver]) -> None:
    """An answer without the expected prompt is waited for until the timeout, then an error;
    the session stays usable (the next command reads from its own echo on)."""
    server, driver = dev
    server.script.show["show version"] = "Version:          VyOS 1.4.0"
    with pytest.raises(DriverError, match=r"no answer to 'show': no prompt within 0.3 s"):
        driver._run("show version", expect="a prompt VyOS never prints", timeout=0.3)
    assert driver.show("show version") == "Version:          VyOS 1.4.0"
    assert server.commands == ["show version", "show version"]


# ---- the '#' prompt trap ----------------------------------------------------------------------
def test_root_prompt_does_not_fool_the_driver(
    scripted_vyos: object, tmp_path: Path, psks: dict[str, str]
) -> None:
    """A root login's op-mode prompt ends in '#': netmiko thinks it is in configure mode."""
    key = paramiko.RSAKey.generate(1024)
    key_file = tmp_path / "id_rsa"
    key.write_private_key_file(str(key_file))
    server = scripted_vyos(  # type: ignore[operator]
        username="root", password=None, authorized_key=key, root_prompt=True
    )
    remember_secret(PSK)
    extras = {"use_keys": True, "key_file": str(key_file)}
    driver = driver_for(make_host(tmp_path, server.port, "root", None, extras=extras))
    driver.open()
    try:
        conn = driver._conn  # type: ignore[attr-defined]
        assert conn.check_config_mode(pattern=r"[$#]\s*$"), "netmiko is fooled in op mode"
        server.commands.clear()
        driver.apply(SMALL, confirm_timeout=90)
        driver.confirm()
        server.script.show["show version"] = "Version:          VyOS 1.4.0"
        assert driver.show("show version") == "Version:          VyOS 1.4.0"
        assert server.commands == [
            READ, "configure", *SET_LINES, *COMMIT, "exit",
            "configure", "confirm", "save", "exit",
            "show version",
        ]  # fmt: skip
        assert server.saved == set(SET_LINES)
    finally:
        driver.close()


# ---- connection faults ------------------------------------------------------------------------
def test_unreachable_host_is_a_connect_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and now is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    driver = driver_for(make_host(tmp_path, port))
    with pytest.raises(ConnectError, match="unreachable"):
        driver.open()


def test_wrong_password_is_a_connect_error(scripted_vyos: object, tmp_path: Path) -> None:
    server = scripted_vyos()  # type: ignore[operator]
    driver = driver_for(make_host(tmp_path, server.port, password="Wrong-Pass-1234"))
    with pytest.raises(ConnectError, match="authentication failed") as info:
        driver.open()
    assert "Wrong-Pass-1234" not in str(info.value)
    assert server.commands == []


def _known_hosts(path: Path, port: int, key: paramiko.PKey) -> Path:
    path.write_text(f"[127.0.0.1]:{port} {key.get_name()} {key.get_base64()}\n")
    return path


STRICT = {"ssh_strict": True, "system_host_keys": False, "alt_host_keys": True}


def test_changed_host_key_is_a_connect_error(scripted_vyos: object, tmp_path: Path) -> None:
    server = scripted_vyos()  # type: ignore[operator]
    other = paramiko.RSAKey.generate(1024)  # same key type, different key: a changed host key
    known = _known_hosts(tmp_path / "known_hosts", server.port, other)
    extras = {**STRICT, "alt_key_file": str(known)}
    driver = driver_for(make_host(tmp_path, server.port, extras=extras))
    with pytest.raises(ConnectError, match="host key changed") as info:
        driver.open()
    assert isinstance(info.value.__cause__, paramiko.BadHostKeyException)
    assert server.commands == []


def test_unknown_host_key_under_strict_checking_is_a_connect_error(
    scripted_vyos: object, tmp_path: Path
) -> None:
    server = scripted_vyos()  # type: ignore[operator]
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    extras = {**STRICT, "alt_key_file": str(empty)}
    driver = driver_for(make_host(tmp_path, server.port, extras=extras))
    with pytest.raises(ConnectError, match="host key unknown"):
        driver.open()


# ---- VyOS's real answers per version (../shared/vyos/BEHAVIOUR.md 2.1, 2.3) -----------------
LINES_13 = ["set interfaces vti vti0 address '169.254.10.2/30'", "set system host-name 'r1'"]
SMALL_13 = {"config.set": "\n".join(LINES_13) + "\n"}


def _driver(server: ScriptedVyos, tmp_path: Path, syntax: str) -> VyosDriver:
    driver = driver_for(make_host(tmp_path, server.port, syntax=syntax))
    assert isinstance(driver, VyosDriver)
    driver.open()
    return driver


def test_13_pending_confirm_commits_anyway_and_is_undone(
    scripted_vyos: object, tmp_path: Path
) -> None:
    """B2.3.4: 1.3 prints "Another confirm is pending" and commits without a timer of ours."""
    server = scripted_vyos(version="1.3", running=FACTORY)  # type: ignore[operator]
    server.timer_pending = True  # another operator's commit-confirm
    driver = _driver(server, tmp_path, "1.3")
    try:
        with pytest.raises(CommitError, match="committed the candidate anyway") as info:
            driver.apply(SMALL_13, confirm_timeout=60)
    finally:
        driver.close()
    assert info.value.rolled_back and server.config_equals(list(FACTORY))
    assert server.timer_pending, "the other operator's timer is left alone"
    assert "confirm" not in server.commands, "confirm would cancel someone else's timer"


@pytest.mark.parametrize("syntax", ["1.3", "1.4"])
def test_locked_commit_is_a_failure_and_cancels_the_timer(
    scripted_vyos: object, tmp_path: Path, syntax: str
) -> None:
    """B2.3.5: "Configuration system temporarily locked" means nothing of ours committed;
    commit-confirm had armed the timer, so the rollback conversation cancels it."""
    server = scripted_vyos(version=syntax, running=FACTORY)  # type: ignore[operator]
    server.cli.faults.locked = True
    driver = _driver(server, tmp_path, syntax)
    try:
        with pytest.raises(CommitError, match="temporarily locked"):
            driver.apply(SMALL_13, confirm_timeout=60)
    finally:
        driver.close()
    assert not server.timer_pending and server.config_equals(list(FACTORY))
    tail = server.commands[server.commands.index("load /config/config.boot") :]
    assert tail[:2] == ["load /config/config.boot", "confirm"], "no-op load, timer cancelled"


@pytest.mark.parametrize("syntax", ["1.3", "1.4"])
def test_wholly_failed_commit_still_cancels_the_timer(
    scripted_vyos: object, tmp_path: Path, syntax: str
) -> None:
    """B2.3.2: nothing committed, so load answers "No configuration changes to commit." — not a
    rollback failure — and confirm is still sent (else the router reboots N minutes later)."""
    server = scripted_vyos(version=syntax, running=FACTORY, fail_commit=True)  # type: ignore[operator]
    bgp = "set protocols bgp 65010 parameters router-id '198.51.100.10'"
    if syntax == "1.4":
        bgp = "set protocols bgp system-as '65010'"
    driver = _driver(server, tmp_path, syntax)
    try:
        with pytest.raises(CommitError, match="timer cancelled") as info:
            driver.apply({"config.set": bgp + "\n"}, confirm_timeout=60)
    finally:
        driver.close()
    assert info.value.rolled_back and not server.timer_pending
    assert server.config_equals(list(FACTORY))


def test_a_replaced_key_on_the_router_never_shows_in_the_diff(
    dev: tuple[ScriptedVyos, VyosDriver], caplog: pytest.LogCaptureFixture
) -> None:
    """The running config's old PSK (the intent has a new one) is deleted, and masked."""
    server, driver = dev
    old = "Old-Router-Psk-Only-3f9a"
    server.reset(running={f"set vpn ipsec authentication psk tun1 secret '{old}'"})
    caplog.set_level(logging.DEBUG)
    text = redact(driver.diff(SMALL))  # what deploy shows (diff text may hold secrets)
    assert f"- set vpn ipsec authentication psk tun1 secret '{MASK}'" in text
    assert old not in text and old not in caplog.text


def test_close_survives_the_router_closing_first(tmp_path: Path) -> None:
    """VyOS may drop the session on "exit" before we close ours (seen as a flaky EOFError)."""

    class Gone:
        RETURN = "\n"

        def write_channel(self, data: str) -> None:
            pass

        def paramiko_cleanup(self) -> None:
            raise EOFError

    driver = driver_for(make_host(tmp_path, 1))
    assert isinstance(driver, VyosDriver)
    driver._conn = Gone()  # type: ignore[assignment]
    driver.close()
    assert driver._conn is None


def test_close_survives_a_transport_that_died_first(tmp_path: Path) -> None:
    """A router that dropped the session: paramiko's send of "exit" raises EOFError."""

    class Dead:
        RETURN = "\n"

        def write_channel(self, data: str) -> None:
            raise EOFError

        def paramiko_cleanup(self) -> None:
            pass

    driver = driver_for(make_host(tmp_path, 1))
    assert isinstance(driver, VyosDriver)
    driver._conn = Dead()  # type: ignore[assignment]
    driver.close()
    assert driver._conn is None


# ---- one session per host per run (tasks/platforms/connection.py) ----------------------------
def test_tasks_of_one_run_share_one_login_and_a_broken_session_is_not_handed_on(
    scripted_vyos: object, tmp_path: Path
) -> None:
    """Deploy, its post-checks and verify each take a driver: one SSH login serves them all.
    A session that timed out may hold half an answer: the next task logs in anew."""
    server = scripted_vyos()  # type: ignore[operator]
    server.script.show["show version"] = "Version:          VyOS 1.4.0"
    host = make_host(tmp_path, server.port)
    for _task in range(3):
        driver = driver_for(host)
        driver.open()
        assert driver.identity() is None
        driver.close()
    assert len(server._transports) == 1, "each task logged in again"
    driver = driver_for(host)
    driver.open()
    with pytest.raises(DriverError, match="no prompt within"):
        driver._run("show version", expect="a prompt VyOS never prints", timeout=0.3)
    assert host.connections["vpcha"].alive(), "the session itself is up, half-read"
    driver.close()
    driver = driver_for(host)
    driver.open()
    assert driver.identity() is None
    driver.close()
    assert len(server._transports) == 2
    close_all()
    assert not host.connections["vpcha"].alive()
