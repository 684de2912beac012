"""The router state a lab VyOS keeps across SSH sessions (:mod:`tasks.lab.vyos.store`), and
the CLI model on it: what one session commits, saves or confirms, the next one sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.lab.vyos import timer
from tasks.lab.vyos.cli import FACTORY, VyosCli
from tasks.lab.vyos.hooks import CommitFailed
from tasks.lab.vyos.session import Session
from tasks.lab.vyos.store import Pending, Store

ETH1 = "set interfaces ethernet eth1 address '192.0.2.1/24'"
TRY_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
"""


class FlagTimer:
    """A commit-confirm timer that is only its pending file (no process): shared through the
    store like the real one, never fires."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def arm(self, minutes: int) -> None:
        self.store.set_pending(Pending(os.getpid(), minutes, 0))

    def cancel(self) -> None:
        self.store.set_pending(None)

    def armed(self) -> bool:
        return self.store.pending() is not None


def configure(cli: VyosCli, *lines: str) -> Session:
    session = Session(cli)
    for line in ("configure", *lines):
        session.answer(line)
    return session


def test_first_boot_writes_factory_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "r1")
    assert store.initialise(FACTORY) is True
    store.write_active([*FACTORY, ETH1])
    assert store.initialise(FACTORY) is False, "a router that booted before keeps its state"
    assert store.read_active() == [*FACTORY, ETH1] and store.read_saved() == list(FACTORY)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "r1")
    store.initialise(FACTORY)

    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        store.write_active([ETH1])
    assert store.read_active() == list(FACTORY)
    assert sorted(p.name for p in store.root.iterdir()) == [
        "active.commands",
        "config.boot",
        "lock",
    ]


def test_the_lock_excludes_other_processes_and_is_reentrant(tmp_path: Path) -> None:
    store = Store(tmp_path / "r1")
    store.initialise(FACTORY)
    lock = str(store.root / "lock")

    def other_gets_it() -> bool:
        return subprocess.run([sys.executable, "-c", TRY_LOCK, lock], timeout=30).returncode == 0

    with store.lock():
        with store.lock():  # commit inside commit-confirm
            assert not other_gets_it()
        assert not other_gets_it(), "still held by the outer level"
    assert other_gets_it()


def test_revisions_keep_the_newest(tmp_path: Path) -> None:
    store = Store(tmp_path / "r1")
    for n in range(5):
        store.add_revision([f"set system host-name 'r{n}'"], keep=3)
    assert store.revisions() == [3, 4, 5]
    assert store.revision(5) == ["set system host-name 'r4'"]


def test_pending_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "r1")
    assert store.pending() is None
    store.set_pending(Pending(pid=4242, minutes=5, deadline=1.5))
    assert store.pending() == Pending(4242, 5, 1.5)
    store.set_pending(None)
    assert store.pending() is None


def test_a_commit_in_one_session_is_seen_by_another_process_view(tmp_path: Path) -> None:
    a = VyosCli.on_store("1.4", Store(tmp_path / "r1"))
    b = VyosCli.on_store("1.4", Store(tmp_path / "r1"))  # as another login's process
    watcher = configure(b)  # in configure mode, changed nothing
    editor = configure(b, "set interfaces ethernet eth2 address '192.0.2.9/24'")
    assert configure(a, ETH1).answer("commit") == ("", False)
    assert Session(b).answer("show configuration commands | match 'eth1'")[0] == ETH1
    assert watcher.answer("compare")[0] == b.personality.no_changes, "an untouched session follows"
    assert editor.answer("compare")[0] == (
        "+ set interfaces ethernet eth2 address '192.0.2.9/24'"
    ), "a session's own changes, over what others committed"
    assert editor.answer("commit") == ("", False)
    a.refresh()
    assert {ETH1, "set interfaces ethernet eth2 address '192.0.2.9/24'"} <= set(a.lines())
    assert a.store is not None and a.store.revisions() == [1, 2]


@pytest.mark.parametrize("error", [CommitFailed("vpn ipsec", "peer tun1: no such ike-group"),
                                   RuntimeError("swanctl --load-all: exit 1")])  # fmt: skip
def test_a_backend_failure_is_commit_failed_and_changes_nothing(
    tmp_path: Path, error: Exception
) -> None:
    def backend(version: str, entries: frozenset[tuple[str, ...]]) -> None:
        raise error

    cli = VyosCli.on_store("1.3", Store(tmp_path / "r1"), backend=backend)
    out, _ = configure(cli, ETH1).answer("commit")
    path = error.path if isinstance(error, CommitFailed) else "interfaces ethernet"
    assert out.startswith(f"\n[ {path} ]\n") and out.endswith(f"[[{path}]] failed\nCommit failed")
    assert ETH1 not in Store(tmp_path / "r1").read_active() and cli.commits == 0


def test_a_timer_no_longer_pending_does_not_reboot(tmp_path: Path) -> None:
    """confirm won the race: the timer wakes, finds another PID pending, and does nothing."""
    store = Store(tmp_path / "r1")
    cli = VyosCli.on_store("1.4", store)
    configure(cli, ETH1).answer("commit")
    store.set_pending(Pending(pid=os.getpid() + 1, minutes=1, deadline=0))
    timer.fire(store, "1.4", None)
    assert ETH1 in store.read_active() and store.pending() is not None
    store.set_pending(Pending(pid=os.getpid(), minutes=1, deadline=0))
    timer.fire(store, "1.4", None)
    assert ETH1 not in store.read_active() and store.pending() is None, "now it reboots"


def test_is_timer_refuses_a_pid_that_is_not_this_routers_timer(tmp_path: Path) -> None:
    assert not timer.is_timer(os.getpid(), tmp_path)
    assert not timer.alive(2**22 + 1)


def test_a_commit_waiting_for_the_lock_keeps_what_the_other_one_committed(tmp_path: Path) -> None:
    """Both sessions read the store, then commit one after the other: the second commit is
    made, under the lock, on top of the first (no lost update)."""
    a = configure(VyosCli.on_store("1.4", Store(tmp_path / "r1")), ETH1)
    b = configure(VyosCli.on_store("1.4", Store(tmp_path / "r1")),
                  "set interfaces ethernet eth2 address '192.0.2.9/24'")  # fmt: skip
    assert a.answer("commit") == ("", False)
    assert b._commit() == ""  # as if b had read the store just before a's commit
    lines = Store(tmp_path / "r1").read_active()
    assert ETH1 in lines and "set interfaces ethernet eth2 address '192.0.2.9/24'" in lines


@pytest.mark.parametrize("version", ["1.3", "1.4"])
def test_a_timer_armed_while_the_question_waited_is_another_pending_confirm(
    tmp_path: Path, version: str
) -> None:
    """Two sessions ask commit-confirm's question at once: the first "y" arms the timer, the
    second finds it armed under the lock and answers as VyOS does with a confirm pending."""

    def router() -> VyosCli:
        store = Store(tmp_path / "r1")
        return VyosCli.on_store(version, store, timer=FlagTimer(store))

    a = configure(router(), ETH1, "commit-confirm 5")
    b = configure(
        router(), "set interfaces ethernet eth2 address '192.0.2.9/24'", "commit-confirm 5"
    )
    assert a.question is not None and b.question is not None
    a.answer("y")
    assert a.cli.timer_armed and a.cli.commits == 1
    out, _ = b.answer("y")
    assert out.startswith("Another confirm is pending")
    assert ("eth2" in "".join(Store(tmp_path / "r1").read_active())) == (version == "1.3")
