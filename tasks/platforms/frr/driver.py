"""The ``frr`` driver: a Linux router with FRR and strongSwan, reached over SSH.

The same apply-then-confirm contract as VyOS's ``commit-confirm``, built on Linux:

- ``diff`` compares the candidate with what is live: ``frr-reload.py --test`` against the
  running daemons for ``frr.conf``, and for the other files both their content and whether they
  are in force (connection loaded in charon, nft table present, inside address on the tunnel).
- ``apply`` first writes a rollback set under ``/etc/vpc-ha/rollback/`` (what is in force now)
  and a ``rollback.sh`` that re-applies it, arms a timer (``setsid sleep N && rollback.sh``,
  surviving our SSH session), then writes and applies the candidate.
- ``confirm`` disarms the timer; the candidate's frr.conf already is ``/etc/frr/frr.conf``.

Identity: ``confirm`` records the inventory host name in ``/etc/vpc-ha/identity``; ``open``
refuses a router that recorded another name (:func:`tasks.drivers.base.check_identity`), and
``diff`` shows a router that recorded none (or, with ``--adopt``, another) as a change.
- ``rollback`` disarms the timer and runs ``rollback.sh`` now.

Files travel over SFTP, never on a command line, so keys do not show up in shell history or
process lists. The apply commands themselves are in :mod:`tasks.platforms.frr.apply`.
"""

from __future__ import annotations

import difflib
import logging
import re
import shlex
import stat
import time
from typing import Any, ClassVar

from nornir.core.inventory import Host

from tasks.drivers.base import (
    CommitError,
    LockedError,
    RollbackError,
    check_identity,
    register,
)
from tasks.drivers.ssh import connect
from tasks.errors import DriverError
from tasks.isp_health import HealthState
from tasks.model import Router
from tasks.platforms.frr.apply import (
    CONFIG_DIR,
    EMPTY_HEALTH,
    EMPTY_NFT,
    EMPTY_SWANCTL,
    FRR_CONF,
    FRR_RELOAD,
    HEALTH_PID,
    HEALTH_RUN,
    HEALTH_SH,
    HEALTH_STATE,
    LIST_NFT,
    NFT_APPLIED,
    apply_commands,
    vici_uri,
)
from tasks.secrets import redact

log = logging.getLogger(__name__)

ROLLBACK_DIR = f"{CONFIG_DIR}/rollback"
CANDIDATE_DIR = f"{CONFIG_DIR}/candidate"
TIMER_PID = f"{CONFIG_DIR}/rollback.pid"
ROLLBACK_SH = f"{CONFIG_DIR}/rollback.sh"
ROLLBACK_LOG = f"{CONFIG_DIR}/rollback.log"
ROLLBACK_DEADLINE = f"{CONFIG_DIR}/rollback.deadline"  # epoch seconds the timer fires at
#: The failover drain guard: a timer that ends a drain by itself when the run that made it is
#: gone (killed, its terminal dropped). ``.state`` holds "<since> <reverts at> <owner>".
GUARD = f"{CONFIG_DIR}/drain-guard"
GUARD_PID, GUARD_SH, GUARD_LOG, GUARD_STATE = (
    f"{GUARD}.{x}" for x in ("pid", "sh", "log", "state")
)
#: The inventory host name this router was deployed as (written by confirm, checked by open).
IDENTITY_FILE = f"{CONFIG_DIR}/identity"
#: The change lock: held (flock on fd 9) by the login shell of the session that changes the
#: router, so it is the router's own lock, shared by every operator's machine, and it ends with
#: the session (a killed run's sshd session closes, its shell exits, the lock is free).
LOCK_FILE = "/run/vpc-ha-change.lock"
LOCK_OWNER = "/run/vpc-ha-change.owner"
_RC = re.compile(r"__RC=(\d+)\s*$")


#: What swanctl's own libstrongswan prints (on stderr, merged by the SSH terminal) for each
#: plugin of its built-in list that this machine lacks. Noise, never the answer: left in, an
#: empty ``--list-sas`` (no SA at all) read as "output in no known format".
_PLUGIN_NOISE = re.compile(r"^plugin '[^']+': failed to load - .*(?:\n|$)", re.MULTILINE)
_ADDRESS_LINE = re.compile(r"^address replace (\S+) dev (\S+)$", re.MULTILINE)
_LINK_LINE = re.compile(r"^link set dev (\S+) mtu (\d+)(?: up)?$")
#: ``ip -o link show``: "7: ipsec0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1419 ..."
_LINK = re.compile(r"^\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)> mtu (\d+)", re.MULTILINE)


def added_addresses_undo(previous: dict[str, str], candidate: dict[str, str]) -> str:
    """``ip -batch`` lines deleting the addresses ``candidate`` adds that ``previous`` lacks."""

    def addresses(files: dict[str, str]) -> set[tuple[str, str]]:
        return set(_ADDRESS_LINE.findall(files.get("interfaces.ip", "")))

    added = sorted(addresses(candidate) - addresses(previous))
    return "".join(f"address del {addr} dev {dev}\n" for addr, dev in added)


@register
class FrrDriver:
    """Driver for ``platform: frr`` hosts (netmiko ``linux`` session, a root shell)."""

    platform: ClassVar[str] = "frr"

    def __init__(self, host: Host, router: Router) -> None:
        self.host = host
        self.router = router
        self._conn: Any = None
        self._sftp: Any = None
        self.adopt = False
        self._identity: str | None = None

    # -- session -----------------------------------------------------------------------------
    def open(self) -> None:
        self._conn = connect(self.host, "linux")
        try:
            self._identity = self.identity()
            check_identity(self.host, self._identity, self.adopt)
        except DriverError:
            self.close()
            raise

    def identity(self) -> str | None:
        """The inventory host this router was deployed as (:data:`IDENTITY_FILE`), or None."""
        _, out = self.sh(f"cat {IDENTITY_FILE} 2>/dev/null", check=False)
        name = out.strip()
        return name or None

    def close(self) -> None:
        # netmiko's disconnect() sends `exit` and then idles for ~10 s on a Linux shell;
        # closing the channel and the transport ends the session at once.
        conn = self._conn
        things = [self._sftp]
        if conn is not None:
            things += [getattr(conn, "remote_conn", None), getattr(conn, "remote_conn_pre", None)]
        for thing in things:
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # closing twice or a dead link is fine
                    log.debug("%s: close failed", self.host.name, exc_info=True)
        self._sftp = self._conn = None

    def _session(self) -> Any:
        if self._conn is None:
            raise DriverError(f"{self.host.name}: not connected (call open() first)")
        return self._conn

    def sh(self, command: str, check: bool = True, timeout: float = 60.0) -> tuple[int, str]:
        """Run a shell command on the router; returns (exit status, output)."""
        conn = self._session()
        try:
            raw = conn.send_command(
                f"{command}; echo __RC=$?", read_timeout=timeout, expect_string=self._prompt()
            )
        except Exception as exc:  # netmiko/paramiko raise many types
            raise DriverError(
                f"{self.host.name}: `{redact(command)[:80]}` failed: {redact(str(exc))}"
            ) from exc
        text = str(raw).rstrip()
        found = _RC.search(text)
        if not found:
            raise DriverError(f"{self.host.name}: no exit status from `{redact(command)[:80]}`")
        rc = int(found.group(1))
        out = text[: found.start()].rstrip("\n")
        if check and rc != 0:
            raise DriverError(
                f"{self.host.name}: `{redact(command)[:120]}` exited {rc}: {redact(out)[-600:]}"
            )
        return rc, out

    def _prompt(self) -> str:
        """The shell prompt as a pattern: waiting for it beats netmiko's timed guessing."""
        return rf"{re.escape(self._session().base_prompt)}[#$]\s*$"

    def _sftp_client(self) -> Any:
        if self._sftp is None:
            self._sftp = self._session().remote_conn_pre.open_sftp()
        return self._sftp

    def read(self, path: str) -> str | None:
        try:
            with self._sftp_client().open(path, "r") as handle:
                return handle.read().decode("utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DriverError(f"{self.host.name}: cannot read {path}: {exc}") from exc

    def write(self, path: str, text: str, mode: int = 0o600) -> None:
        sftp = self._sftp_client()
        directory = path.rsplit("/", 1)[0]
        self.sh(f"mkdir -p {shlex.quote(directory)} && chmod 700 {shlex.quote(CONFIG_DIR)}")
        try:
            with sftp.open(path, "w") as handle:
                handle.chmod(mode)
                handle.write(text.encode("utf-8"))
        except OSError as exc:
            raise DriverError(f"{self.host.name}: cannot write {path}: {exc}") from exc

    def _write_all(self, files: dict[str, str], directory: str) -> None:
        for name, text in files.items():
            self.write(f"{directory}/{name}", text)

    # -- what is live ---------------------------------------------------------------------------
    def live_files(self) -> dict[str, str]:
        """The toolkit-managed files as they are in force now (empty versions where not).

        A file on disk that is not in force (connection not loaded, table absent, address
        missing) counts as its empty version: a reset router is not "unchanged".
        """
        files: dict[str, str] = {}
        loaded = self.loaded_connections()
        for t in self.router.tunnels:
            name = f"swanctl/{t.name}.conf"
            on_disk = self.read(f"{CONFIG_DIR}/{name}")
            is_loaded = re.search(rf"^{re.escape(t.name)}: ", loaded, re.MULTILINE)
            files[name] = on_disk if (on_disk and is_loaded) else EMPTY_SWANCTL
        files["nftables.nft"] = self._live_nft()
        files["interfaces.ip"] = self._live_interfaces()
        files[HEALTH_SH] = self._live_health()
        files["frr.conf"] = self.read(FRR_CONF) or ""
        return files

    def _live_health(self) -> str:
        """The monitor script in force: its running copy while it runs, else the empty version
        (a monitor that died shows as a change, and the next deploy starts it again)."""
        if not self._timer_armed(HEALTH_PID):
            return EMPTY_HEALTH
        return self.read(HEALTH_RUN) or EMPTY_HEALTH

    def isp_health(self) -> HealthState | None:
        """The ISP health monitor's own account (None: no monitor configured or running)."""
        running = self._timer_armed(HEALTH_PID)
        text = (self.read(HEALTH_STATE) or "").strip()
        if not running and not text:
            return None
        return HealthState.parse(text, running=running, now=self._now())

    def _now(self) -> float:
        """The router's clock (the state file's times are the router's)."""
        _, out = self.sh("date +%s", check=False)
        return float(out.strip()) if out.strip().isdigit() else time.time()

    def _live_nft(self) -> str:
        """The staged table when the live one is still what the last apply made; else the live
        table itself (as a file that would restore it), so a drift shows in the diff and the
        next deploy repairs it."""
        rc, live = self.sh(f"{LIST_NFT} 2>/dev/null", check=False)
        if rc != 0:
            return EMPTY_NFT
        applied = self.read(NFT_APPLIED)
        staged = self.read(f"{CONFIG_DIR}/nftables.nft")
        if staged and (applied is None or applied.strip() == live.strip()):
            return staged  # applied is None: configured before this record existed
        return f"{EMPTY_NFT}{live.strip()}\n"

    def _live_interfaces(self) -> str:
        """interfaces.ip as the live links and addresses are: each ``link set`` line with the
        live MTU (and ``up`` only when the link is up), each address only when it is on its
        device. Equal to the staged file exactly when nothing drifted."""
        on_disk = self.read(f"{CONFIG_DIR}/interfaces.ip")
        devices = {t.interface for t in self.router.tunnels}
        if not on_disk:
            return "".join(f"address flush dev {dev}\n" for dev in sorted(devices))
        addrs = self.sh("ip -o -4 addr show", check=False)[1]
        links = {m.group(1): (m.group(2), int(m.group(3)))
                 for m in _LINK.finditer(self.sh("ip -o link show", check=False)[1])}  # fmt: skip
        lines = []
        for line in on_disk.splitlines():
            link = _LINK_LINE.match(line)
            address = _ADDRESS_LINE.match(line)
            if link and link.group(1) in links:
                flags, mtu = links[link.group(1)]
                up = " up" if "UP" in flags.split(",") else ""
                lines.append(f"link set dev {link.group(1)} mtu {mtu}{up}")
            elif (
                address
                and re.search(
                    rf"\b{re.escape(address.group(2))}\s+inet {re.escape(address.group(1))}\s",
                    addrs,
                )
            ) or not (link or address):
                lines.append(line)
        return "".join(f"{line}\n" for line in lines)

    def loaded_connections(self) -> str:
        """``swanctl --list-conns`` of every tunnel's charon.

        Raises:
            DriverError: a charon did not answer. "Could not ask" must never read as "nothing
                loaded": the rollback set would then record the working tunnel as absent, and a
                rollback would delete it.
        """
        out = []
        for uri in sorted({vici_uri(self.router, t.name) for t in self.router.tunnels}):
            rc, text = self.sh(f"swanctl --list-conns --uri {shlex.quote(uri)}", check=False)
            if rc != 0:
                raise DriverError(
                    f"{self.host.name}: cannot read the loaded IPsec connections from {uri} "
                    f"(exit {rc}: {redact(text)[-200:]}); nothing was changed"
                )
            out.append(text)
        return "\n".join(out)

    def _all_uris(self, command: str) -> str:
        uris = sorted({vici_uri(self.router, t.name) for t in self.router.tunnels})
        return " ; ".join(f"{command} --uri {shlex.quote(u)}" for u in uris)

    # -- contract -------------------------------------------------------------------------------
    def diff(self, candidate: dict[str, str]) -> str:
        live = self.live_files()
        chunks = []
        for name in sorted(candidate):
            if name == "frr.conf":
                chunks.append(self._frr_diff(candidate[name]))
                continue
            before, after = live.get(name, ""), candidate[name]
            if before != after:
                chunks.append(
                    "".join(
                        difflib.unified_diff(
                            before.splitlines(keepends=True),
                            after.splitlines(keepends=True),
                            f"running/{name}",
                            f"candidate/{name}",
                        )
                    )
                )
        if self._identity != self.host.name:
            # Not yet recorded (a factory router, or --adopt): applying records it.
            chunks.append(f"--- running/identity\n+++ candidate/identity\n+{self.host.name}\n")
        return "".join(c if c.endswith("\n") or not c else c + "\n" for c in chunks if c)

    def _frr_diff(self, text: str) -> str:
        path = f"{CANDIDATE_DIR}/frr.conf"
        self.write(path, text)
        _, out = self.sh(f"{FRR_RELOAD} --test --stdout {path} 2>&1", timeout=60)
        lines: list[str] = []
        section = ""
        for line in out.splitlines():
            if line.startswith("Lines To Delete"):
                section = "-"
            elif line.startswith("Lines To Add"):
                section = "+"
            elif section and line.strip() and not line.startswith("="):
                lines.append(f"{section} {line}")
        if not lines:
            return ""
        return "--- running/frr.conf\n+++ candidate/frr.conf\n" + "\n".join(lines) + "\n"

    def lock(self, owner: str, wait: float = 0) -> None:
        """Take the router's change lock for this session (until :meth:`close`).

        Raises:
            LockedError: another session holds it (its owner line is in the message).
        """
        rc, _ = self.sh(f"exec 9>>{LOCK_FILE}; flock -w {max(0.0, wait):g} 9", check=False,
                        timeout=wait + 30)  # fmt: skip
        if rc != 0:
            holder = (self.read(LOCK_OWNER) or "unknown").strip()
            raise LockedError(
                f"{self.host.name}: another run is changing this router ({holder}); wait for it "
                "to finish, or stop it: its automatic rollback restores the router"
            )
        self.sh(f"printf '%s\\n' {shlex.quote(owner)} > {LOCK_OWNER}")

    # -- timers that outlive the session ----------------------------------------------------------
    def _arm_timer(self, pid_file: str, seconds: int, script: str, log_file: str) -> None:
        """Run ``sh script`` on the router after ``seconds``, whatever happens to this session.

        A subshell keeps bash's job control quiet; setsid puts the timer in its own session
        (its pid is its process group, killed whole by :meth:`_disarm_timer`) and off ours.
        The pid record is written whole or not at all (temp file, then rename): a half-written
        one would make the timer unkillable. ``9>&-``: the timer must not inherit the change
        lock's descriptor, or it would hold the lock after this session is gone.
        """
        timer = f"sleep {int(seconds)} && sh {script} > {log_file} 2>&1; rm -f {pid_file}"
        self.sh(
            f"( setsid sh -c {shlex.quote(timer)} >/dev/null 2>&1 < /dev/null 9>&- & "
            f"echo $! > {pid_file}.new && mv -f {pid_file}.new {pid_file} )"
        )

    def _timer_armed(self, pid_file: str) -> bool:
        rc, _ = self.sh(f"test -f {pid_file} && kill -0 $(cat {pid_file}) 2>/dev/null", check=False)
        return rc == 0

    def _disarm_timer(self, pid_file: str) -> bool:
        """Stop a timer; False when none was armed."""
        rc, _ = self.sh(
            f"if test -s {pid_file} && kill -- -$(cat {pid_file}) 2>/dev/null; "
            f"then rm -f {pid_file}; true; else rm -f {pid_file}; false; fi",
            check=False,
        )
        return rc == 0

    def pending(self) -> bool:
        """Is a rollback timer armed (an unconfirmed change on this router)?"""
        return self._timer_armed(TIMER_PID)

    def pending_change(self) -> str | None:
        """An unconfirmed change waiting on this router, as an operator should read it (when it
        reverts by itself), or None."""
        if not self.pending():
            return None
        deadline = (self.read(ROLLBACK_DEADLINE) or "").strip()
        when = (
            time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(int(deadline)))
            if deadline.isdigit()
            else "an unknown time"
        )
        return f"an unconfirmed change is pending: it rolls back by itself at {when}"

    def apply(self, candidate: dict[str, str], confirm_timeout: int) -> None:
        if self.pending():
            raise CommitError(
                f"{self.host.name}: another change is waiting for confirmation (rollback timer "
                f"armed, {TIMER_PID}); confirm or roll it back first"
            )
        previous = self.live_files()
        self.sh(f"rm -rf {ROLLBACK_DIR} && mkdir -p {ROLLBACK_DIR}")
        self._write_all(previous, ROLLBACK_DIR)
        # Addresses the candidate adds are not in the previous file: delete exactly those
        # (flushing all would also drop the routes charon installed for its SAs).
        self.write(f"{ROLLBACK_DIR}/undo.ip", added_addresses_undo(previous, candidate))
        restore = apply_commands(self.router, previous, ROLLBACK_DIR)
        copy_back = [f"cp {ROLLBACK_DIR}/{n} {CONFIG_DIR}/{n}" for n in previous]
        script = "\n".join([
            "#!/bin/sh",
            "# restores the config in force before the last apply",
            # best effort: an address the candidate never got to add is no failure
            f"ip -force -batch {ROLLBACK_DIR}/undo.ip >/dev/null 2>&1",
            *[f"{c} || echo FAILED: {shlex.quote(c)}" for c in restore + copy_back],
            "",
        ])  # fmt: skip
        self.write(ROLLBACK_SH, script, mode=0o700)
        self.sh(f"rm -f {ROLLBACK_LOG}")
        self.sh(f"echo $(( $(date +%s) + {int(confirm_timeout)} )) > {ROLLBACK_DEADLINE}")
        self._arm_timer(TIMER_PID, confirm_timeout, ROLLBACK_SH, ROLLBACK_LOG)
        self._write_all(candidate, CONFIG_DIR)
        for command in apply_commands(self.router, candidate, CONFIG_DIR):
            rc, out = self.sh(command, check=False, timeout=90)
            if rc != 0:
                detail = redact(f"`{command}` exited {rc}: {out[-400:]}")
                try:
                    self.rollback()
                except RollbackError as exc:
                    raise CommitError(f"{self.host.name}: {detail}; {exc}") from exc
                raise CommitError(f"{self.host.name}: {detail}; rolled back", rolled_back=True)

    def _disarm(self) -> bool:
        """Stop the rollback timer; False when none was armed."""
        return self._disarm_timer(TIMER_PID)

    # -- the failover drain guard -----------------------------------------------------------------
    def arm_drain_guard(self, undo_script: str, seconds: int, owner: str) -> None:
        """Arm a timer that runs ``undo_script`` (shell lines ending the drain) in ``seconds``.

        Raises:
            DriverError: a guard is armed already (another drain is in force).
        """
        current = self.drain_guard()
        if current:
            raise DriverError(f"{self.host.name}: {current}; end it first: failover.py --recover")
        self.write(GUARD_SH, f"#!/bin/sh\n# ends a failover drain ({owner})\n{undo_script}\n"
                             f"rm -f {GUARD_STATE}\n", mode=0o700)  # fmt: skip
        now = int(time.time())
        self.write(f"{GUARD_STATE}.new", f"{now} {now + int(seconds)} {owner}\n")
        self.sh(f"mv -f {GUARD_STATE}.new {GUARD_STATE} && rm -f {GUARD_LOG}")
        self._arm_timer(GUARD_PID, seconds, GUARD_SH, GUARD_LOG)

    def disarm_drain_guard(self) -> bool:
        """Stop the drain guard (the drain was undone by its run); False when none was armed."""
        armed = self._disarm_timer(GUARD_PID)
        self.sh(f"rm -f {GUARD_STATE}")
        return armed

    def drain_guard(self) -> str | None:
        """A failover drain in force on this router, as an operator should read it, or None."""
        if not self._timer_armed(GUARD_PID):
            return None
        since, until, owner = [*(self.read(GUARD_STATE) or "").strip().split(" ", 2), "", ""][:3]

        def when(epoch: str) -> str:
            return time.strftime("%H:%M:%SZ", time.gmtime(int(epoch))) if epoch.isdigit() else "?"

        return (f"failover drain in force since {when(since)}, reverts by itself at "
                f"{when(until)} ({owner or 'owner unknown'})")  # fmt: skip

    def confirm(self) -> None:
        if not self._disarm():
            fired = self.read(ROLLBACK_LOG) is not None
            raise CommitError(
                f"{self.host.name}: nothing to confirm"
                + (
                    ": the rollback timer already fired and restored the old config"
                    if fired
                    else ""
                )
            )
        # The change is kept: from now on this router is the inventory's host (a rolled-back
        # change, e.g. a failed --adopt, records nothing).
        self.write(IDENTITY_FILE, f"{self.host.name}\n", mode=0o644)
        self._identity = self.host.name

    def rollback(self) -> None:
        self._disarm()
        rc, out = self.sh(f"sh {ROLLBACK_SH} 2>&1", check=False, timeout=120)
        if rc != 0 or "FAILED:" in out:
            raise RollbackError(
                f"{self.host.name}: rollback did not complete cleanly: {redact(out)[-600:]}; "
                f"inspect {ROLLBACK_DIR} on the router"
            )

    def show(self, command: str) -> str:
        """Op commands: ``show ...`` goes to vtysh, ``swanctl`` to every tunnel's charon."""
        if command.startswith("show "):
            return self.sh(f"vtysh -c {shlex.quote(command)}")[1]
        if command.startswith("swanctl "):
            text = self.sh(self._all_uris(command) if "--uri" not in command else command)[1]
            return _PLUGIN_NOISE.sub("", text)
        return self.sh(command)[1]

    def file_mode(self, path: str) -> int | None:
        """Permission bits of a file on the router (tests check keys are not world-readable)."""
        try:
            return stat.S_IMODE(self._sftp_client().stat(path).st_mode)
        except FileNotFoundError:
            return None
