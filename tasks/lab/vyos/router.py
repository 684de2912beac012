"""A lab router that is a VyOS router: what the lab seeds, and how it configures or resets one.

At ``up`` such a router's box gets, beside its FRR, charons and sshd like every lab router:

- its *twin* (:data:`tasks.lab.vyos.backend.TWIN`): the ``frr`` host it is underneath, which
  the commit backend applies to;
- its VyOS state (:class:`tasks.lab.vyos.store.Store` under :data:`STATE`): a factory config
  (VyOS's own factory lines, eth0 holding the router's lab WAN address);
- the sshd ``Match`` block that runs :mod:`tasks.lab.vyos.shell` for every login
  (:func:`tasks.lab.vyos.login.sshd_block`), with the commit backend and one vici socket per
  tunnel for ``show vpn ipsec sa``.

``lab.py up --configured`` and a test's factory reset change the router from the host the way a
commit would: the store's active and saved configs, then the backend's files applied.
"""

from __future__ import annotations

import ipaddress
import sys

from tasks.lab import apply
from tasks.lab.box import Box, router_box
from tasks.lab.topology import LabError, Plan, RouterPlan, Topology
from tasks.lab.vyos.backend import APPLIED_DIR, TWIN, LabCommit
from tasks.lab.vyos.cli import VyosCli
from tasks.lab.vyos.login import shell_command, sshd_block
from tasks.lab.vyos.personality import FACTORY
from tasks.lab.vyos.store import Store
from tasks.model import Router
from tasks.platforms.frr.apply import CONFIG_DIR
from tasks.render import render_router

#: The router's VyOS state directory, inside its box.
STATE = f"{CONFIG_DIR}/vyos/state"
BACKEND = "tasks.lab.vyos.backend:lab_commit"


#: What every VyOS image's factory config also holds: its login user (here the hash of a
#: random password nobody knows: the lab logs in with its key) and VyOS's NTP servers, under
#: ``system ntp`` on 1.3 and ``service ntp`` from 1.4. Compliance's device rules need them.
IMAGE_LINES = (
    "set system login user vyos authentication encrypted-password '$6$gF3bsuAFB6kN/vjk$pdASR3O20"
    "KcMB.Zhe8xwb3iu42cI72xhtRFvdpFW/AHIV8bQz3aBhTp76pxw0tys7JLFwsfiExFhUWDLOQy900'",
    "set system login user vyos authentication plaintext-password ''",
    *(f"set {{ntp}} server 'time{n}.vyos.net'" for n in (1, 2, 3)),
)


def factory_lines(topo: Topology, r: RouterPlan) -> list[str]:
    """VyOS's factory config, with eth0 holding the router's lab WAN address."""
    prefix = ipaddress.ip_network(topo.underlay).prefixlen
    wan = f"set interfaces ethernet eth0 address '{r.wan}/{prefix}'"
    ntp = "system ntp" if r.spec.vyos_syntax == "1.3" else "service ntp"
    lines = [wan if line.startswith("set interfaces ethernet eth0 address") else line
             for line in FACTORY]  # fmt: skip
    return sorted([*lines, *(line.replace("{ntp}", ntp) for line in IMAGE_LINES)])


def seed(box: Box, topo: Topology, r: RouterPlan, twin: Router, login_user: str) -> str:
    """Write the twin and the factory state into the box (before it starts); returns the
    ``sshd_config`` block that makes its logins VyOS sessions."""
    box.seed(TWIN, twin.model_dump_json(indent=1), mode=0o600)
    store = Store(box.upper / STATE.removeprefix("/etc/"))
    store.initialise(factory_lines(topo, r))
    command = shell_command(
        r.spec.vyos_syntax,
        STATE,
        r.name,
        backend=BACKEND,
        vici_uris=[t.vici_uri or "" for t in twin.tunnels],
        user=login_user,
        confirm_minute=r.spec.vyos_minute,
    )
    return sshd_block(login_user, command)


def twin_of(plan: Plan, name: str) -> Router:
    """A running VyOS router's twin, as its box holds it."""
    text = router_box(plan, name).path(TWIN).read_text(encoding="utf-8")
    return Router.model_validate_json(text)


def configure(plan: Plan, model: Router) -> None:
    """What a deploy leaves on the router, without SSH: the rendered ``set`` lines committed
    and saved on its factory config, and their effect applied."""
    box, twin = router_box(plan, model.name), twin_of(plan, model.name)
    cli = VyosCli.with_config(model.vyos_syntax, factory_lines(plan.topo, plan.router(model.name)))
    tree = set(cli.active)
    for line in render_router(model, reveal_secrets=True)["config.set"].splitlines():
        if line.startswith("set "):
            cli.apply_set(tree, line)
    files = LabCommit(twin).files(model.vyos_syntax, tree)
    apply.write_files(box, files, APPLIED_DIR)
    apply.execute(box, apply.apply_commands(twin, files, APPLIED_DIR))
    _write_state(box, cli.lines(tree))


def factory_reset(plan: Plan, model: Router) -> None:
    """Back to its factory config, as VyOS's ``load`` of its default config.boot, ``commit``
    and ``save`` would leave it; a pending commit-confirm is cancelled first."""
    box, twin = router_box(plan, model.name), twin_of(plan, model.name)
    cancel = (
        "from pathlib import Path; from tasks.lab.vyos.store import Store; "
        "from tasks.lab.vyos.timer import ProcessTimer; "
        f"ProcessTimer(Store(Path({STATE!r})), {model.vyos_syntax!r}).cancel()"
    )
    proc = box.run([sys.executable, "-c", cancel])
    if proc.returncode != 0:
        raise LabError(f"{box.ns}: cancelling commit-confirm: {proc.stderr.strip()[-300:]}")
    apply.write_files(box, apply.factory_files(twin))
    apply.execute(box, apply.factory_commands(twin))
    _write_state(box, factory_lines(plan.topo, plan.router(model.name)))


def _write_state(box: Box, lines: list[str]) -> None:
    store = Store(box.path(STATE))
    with store.lock():
        store.write_active(lines)
        store.write_saved(lines)
