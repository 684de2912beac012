"""A VyOS config tree as the files that give it effect on a lab router (issue 16, item 2).

:func:`translate` takes the *active* tree of a VyOS 1.3 or 1.4 router (the entries
:mod:`tasks.lab.vyos.cli` keeps) and returns the FRR platform's candidate files, same names and
shape (``templates/frr/manifest.yaml``): ``frr.conf``, ``swanctl/<peer>.conf`` per peer,
``nftables.nft``, ``interfaces.ip``, ``isp-health.sh``. The lab applies them with the FRR
platform's own apply commands (:func:`tasks.platforms.frr.apply.apply_commands`), so a commit
on the VyOS personality has the effect VyOS would give it: the same BGP neighbors, timers,
route-maps, prepends and MEDs, IPsec proposals, DPD, lifetimes, MSS clamp and NAT.

Each part follows VyOS's own source, not the toolkit's FRR templates (the module of each part
names the files): :mod:`.translate_bgp`, :mod:`.translate_ipsec`, :mod:`.translate_nat`.
Everything outside what ``templates/vyos/config.set.j2`` renders, a controlled failover sets,
or a factory VyOS carries (host-name, syslog, ssh, config-management, loopback, ethernet
address: accepted, no file) raises :class:`TranslationError` naming the path
(:mod:`.translate_tree`). Pure: no I/O, no router.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tasks.lab.vyos.translate_bgp import frr_conf
from tasks.lab.vyos.translate_ipsec import swanctl_files
from tasks.lab.vyos.translate_nat import interfaces_ip, isp_health, nftables
from tasks.lab.vyos.translate_tree import Entry, TranslationError, Tree, check_scope

__all__ = ["TranslationError", "translate"]


def translate(
    entries: Iterable[Entry], version: str, file_names: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The FRR platform's files for a VyOS ``version`` ("1.3"/"1.4") tree, in manifest order.

    ``file_names`` maps a peer's remote address to the stem of its ``swanctl/<stem>.conf``
    (the inventory's tunnel name, which :func:`tasks.platforms.frr.apply.apply_commands` looks
    for); unnamed peers get their VyOS connection name (1.4: the peer name, already the
    toolkit's tunnel name; 1.3: ``peer-<remote>-tunnel-vti``).

    Raises:
        TranslationError: an entry outside the toolkit's scope, or a tree VyOS's own commit
            would refuse (a missing group, list or PSK); the message names the path and
            never a secret.
    """
    entries = [tuple(e) for e in entries]
    check_scope(entries, version)
    tree = Tree(entries)
    return {
        "frr.conf": frr_conf(tree, version),
        **swanctl_files(tree, version, file_names),
        "nftables.nft": nftables(tree, version),
        "interfaces.ip": interfaces_ip(tree),
        "isp-health.sh": isp_health(tree, version),
    }
