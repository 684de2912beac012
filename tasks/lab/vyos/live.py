"""Op-mode commands a lab VyOS router answers from its real daemons, as VyOS maps them.

VyOS's op-mode definitions (BEHAVIOUR.md section 3) run FRR's ``vtysh`` for the routing
commands and read strongSwan for the IPsec ones; a lab router has the same daemons, so the
same commands go to them through a :data:`~tasks.lab.vyos.hooks.Runner`:

- ``show ip bgp ...``, ``show bgp ...``, ``show ip route ...``: ``vtysh -c '<command>'``
  (show-ip-bgp.xml.in, vtysh_wrapper.sh): FRR's own text, as on VyOS;
- ``show vpn ipsec sa``: ``swanctl --list-sas`` of each of the router's charons, rendered in the
  version's table (:mod:`tasks.lab.vyos.sas`);
- ``reset ip bgp X soft out``: ``vtysh -c 'clear bgp ipv4 X soft out'`` (reset-ip-bgp.xml.in);
  ``reset bgp X soft out`` (1.4 only): ``clear bgp X soft out`` (reset-bgp.xml.in);
- ``reset vpn ipsec site-to-site peer P`` (1.4) / ``reset vpn ipsec-peer P`` (1.3): the peer's
  child SA terminated and initiated again (1.4 ``ipsec.py reset_peer``: ``ipsec down``, ``up``),
  under VyOS's child names (``P-vti`` on 1.4, ``peer-P-tunnel-vti`` on 1.3), which the
  translation into swanctl files is expected to keep.

A command it does not know returns None: the CLI model answers it (or says it is invalid).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tasks.lab.vyos.hooks import Runner, RunnerError, subprocess_runner
from tasks.lab.vyos.names import to_swanctl, to_vyos
from tasks.lab.vyos.sas import show_vpn_ipsec_sa

_VTYSH = re.compile(r"show (ip bgp|bgp|ip route)( .*)?")


class LiveOpMode:
    """``(cli, line) -> text | None`` for :attr:`VyosCli.op <tasks.lab.vyos.cli.VyosCli.op>`.

    ``vici_uris``: the router's charons (one per tunnel on a lab router); none means swanctl's
    default socket."""

    def __init__(self, runner: Runner = subprocess_runner, vici_uris: Sequence[str] = ()) -> None:
        self.runner = runner
        self.vici_uris = list(vici_uris)

    def __call__(self, cli: Any, line: str) -> str | None:
        version = str(cli.version)
        if _VTYSH.fullmatch(line):
            return self._run(["vtysh", "-c", line])
        if line == "show vpn ipsec sa":
            return self._sas(version)
        bgp = re.fullmatch(r"reset (ip bgp|bgp) (\S+) soft out", line)
        if bgp:
            if bgp[1] == "bgp" and version == "1.3":
                return None  # B3: reset bgp does not exist in 1.3
            family = "ipv4 " if bgp[1] == "ip bgp" else ""
            out = self._run(["vtysh", "-c", f"clear bgp {family}{bgp[2]} soft out"])
            return out.rstrip("\n")
        peer = re.fullmatch(
            r"reset vpn ipsec site-to-site peer (\S+)" if version == "1.4"
            else r"reset vpn ipsec-peer (\S+)", line,
        )  # fmt: skip
        if peer:
            return self._reset_peer(version, peer[1])
        return None

    def _run(self, argv: list[str]) -> str:
        try:
            return self.runner(argv)
        except RunnerError as exc:
            return str(exc)  # VyOS prints what the program printed

    def _swanctl(self, *args: str) -> list[str]:
        """swanctl's output per charon; a failing one is left out (as a charon that is down)."""
        out = []
        uris: list[str | None] = [*self.vici_uris] or [None]
        for uri in uris:
            argv = ["swanctl", *args, *(["--uri", uri] if uri else [])]
            try:
                out.append(self.runner(argv))
            except RunnerError:
                continue
        return out

    def _sas(self, version: str) -> str:
        listings = self._swanctl("--list-sas")
        if not listings:  # no charon answers: show_vpn_ipsec_sa's "not running" branch
            return (
                "IPSec Process NOT Running\n" if version == "1.3" else "IPsec process not running"
            )
        return show_vpn_ipsec_sa(version, to_vyos("\n".join(listings)))

    def _reset_peer(self, version: str, peer: str) -> str:
        child = f"{peer}-vti" if version == "1.4" else to_swanctl(f"peer-{peer}-tunnel-vti")
        done = self._swanctl("--terminate", "--child", child)
        self._swanctl("--initiate", "--child", child)
        if not done:
            return "Peer or tunnel(s) not found, aborting"  # 1.4 ipsec.py IncorrectValue
        return "Peer reset result: success" if version == "1.4" else ""
