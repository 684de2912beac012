"""``vpn ipsec`` of a VyOS tree as the swanctl files VyOS's strongSwan would run.

One file per site-to-site peer, in the FRR platform's shape (``swanctl/<name>.conf``: one
connection, one VTI child, its PSK in ``secrets``), so the lab loads each with the FRR
platform's ``swanctl --load-all --clear --file``. What each node becomes:

- 1.4 (vyos-1x sagitta ``data/templates/ipsec/swanctl/peer.j2``, ``python/vyos/template.py``
  ``get_esp_ike_cipher``): connection ``<peer>``, child ``<peer>-vti``; ``proposals`` =
  ``<encryption>-<hash>-<dh>`` per proposal; ``esp_proposals`` the same with the ``pfs`` group
  (``enable``: the IKE group's first DH group); IKE ``rekey_time = <lifetime>s``, the child's
  ``life_time = <lifetime>s`` (VyOS sets the hard lifetime, strongSwan rekeys before it);
  ``dpd_delay``/``dpd_timeout``/``dpd_action`` from dead-peer-detection; ``close_action`` from
  close-action; ``connection-type initiate`` = ``keyingtries = 0`` + ``start_action =
  start``; ``mobike = yes`` unless ``disable-mobike`` (the toolkit renders none); PSK from
  ``authentication psk <name>`` matched by its ``id`` values.
- 1.3 (vyatta-cfg-vpn equuleus ``scripts/vpn-config.pl``, an ipsec.conf ``conn
  peer-<ip>-tunnel-vti``): the same proposal strings (``ike=``/``esp=``), ``ikelifetime`` and
  ``keylife`` (written here as rekey_time / life_time), ``dpdaction`` (``hold`` is swanctl's
  ``trap``), ``closeaction`` (``restart`` is swanctl's ``start``), ``auto=start`` +
  ``keyingtries=%forever``, no ``mobike`` line unless set (starter's default: yes); the peer
  tag is the remote address and its PSK is at ``peer X authentication pre-shared-secret``.
  Connection and child are both ``peer-<ip>-tunnel-vti`` (stroke names the IKE and CHILD_SA
  after the conn).

Files are ``swanctl/<connection>.conf`` unless the caller names them by remote address
(``file_names``): a 1.3 tree has no tunnel name, the lab's apply commands want one.

Not carried (the lab's plumbing, not VyOS's IPsec semantics): the VTI's XFRM ``if_id`` and
the ``vti-up-down`` updown script (the lab's tunnel devices are the FRR platform's), and the
charon-wide options ``vpn ipsec interface`` (charon's listen interfaces) and ``options
disable-route-autoinstall`` (``install_routes = no``), which belong to the lab's charon.
Traffic selectors are IPv4 only (peer.j2 adds ``::/0``; the toolkit and AWS use IPv4).
"""

from __future__ import annotations

from collections.abc import Mapping

from tasks.lab.vyos.translate_tree import PREFIX, TranslationError, Tree

#: VyOS dh-group number to strongSwan's name (template.py ``get_esp_ike_cipher`` pfs_lut; the
#: same table as vpn-config.pl ``get_dh_cipher_result`` for the groups 1.3 has).
DH = {
    "1": "modp768", "2": "modp1024", "5": "modp1536", "14": "modp2048", "15": "modp3072",
    "16": "modp4096", "17": "modp6144", "18": "modp8192", "19": "ecp256", "20": "ecp384",
    "21": "ecp521", "22": "modp1024s160", "23": "modp2048s224", "24": "modp2048s256",
    "25": "ecp192", "26": "ecp224", "27": "ecp224bp", "28": "ecp256bp", "29": "ecp384bp",
    "30": "ecp512bp", "31": "curve25519", "32": "curve448",
}  # fmt: skip
#: 1.3 ipsec.conf action words to swanctl's (strongSwan's starter maps them the same way).
DPD_ACTION = {"hold": "trap", "clear": "clear", "restart": "restart", "trap": "trap"}
CLOSE_ACTION = {"restart": "start", "hold": "trap", "clear": "none", "none": "none",
                "trap": "trap", "start": "start"}  # fmt: skip
#: key-exchange to swanctl's ``version`` (peer.j2 ``key_exchange[4:]``; 1.3's ``ike``: any).
IKE_VERSION = {"ikev1": "1", "ikev2": "2", "ike": "0"}
#: VyOS's defaults when the node is unset (ike-group/esp-group XML ``defaultValue``).
IKE_LIFETIME_DEFAULT = "28800"
ESP_LIFETIME_DEFAULT = "3600"


def _dh(group: str) -> str:
    if group not in DH:
        raise TranslationError(f"{PREFIX}: dh-group {group} has no strongSwan name")
    return DH[group]


def ike_proposals(tree: Tree, group: str) -> list[str]:
    path = ("vpn", "ipsec", "ike-group", group, "proposal")
    out = []
    for n in tree.tags(*path):
        enc, hsh = tree.value(*path, n, "encryption"), tree.value(*path, n, "hash")
        if enc is None or hsh is None:
            continue  # both are needed for a proposal (get_esp_ike_cipher skips it)
        text = f"{enc}-{hsh}"
        dh = tree.value(*path, n, "dh-group")
        if dh is not None:
            text += f"-{_dh(dh)}"
        out.append(text)
    return out


def esp_proposals(tree: Tree, group: str, ike_group: str) -> list[str]:
    path = ("vpn", "ipsec", "esp-group", group)
    pfs = tree.value(*path, "pfs")
    if pfs == "enable":
        first = tree.tags("vpn", "ipsec", "ike-group", ike_group, "proposal")
        dh = tree.value("vpn", "ipsec", "ike-group", ike_group, "proposal", first[0], "dh-group")
        pfs = None if dh is None else f"dh-group{dh}"
    out = []
    for n in tree.tags(*path, "proposal"):
        enc, hsh = (
            tree.value(*path, "proposal", n, "encryption"),
            tree.value(*path, "proposal", n, "hash"),
        )
        if enc is None or hsh is None:
            continue
        text = f"{enc}-{hsh}"
        if pfs not in (None, "disable"):
            text += f"-{_dh(str(pfs).removeprefix('dh-group'))}"
        out.append(text)
    return out


def _group(tree: Tree, kind: str, name: str, peer: str) -> None:
    if not tree.has("vpn", "ipsec", kind, name):
        # vpn_ipsec.py / vpn-config.pl verify: the group a peer names must exist
        raise TranslationError(f"{PREFIX}: peer {peer} names {kind} {name}, not configured")


def _psk(tree: Tree, version: str, peer: str, local_id: str, remote_id: str) -> str:
    if version == "1.3":
        return tree.need("vpn", "ipsec", "site-to-site", "peer", peer, "authentication",
                         "pre-shared-secret")  # fmt: skip
    for name in tree.tags("vpn", "ipsec", "authentication", "psk"):
        ids = set(tree.values("vpn", "ipsec", "authentication", "psk", name, "id"))
        if {local_id, remote_id} <= ids:
            return tree.need("vpn", "ipsec", "authentication", "psk", name, "secret")
    # vpn_ipsec.py verify(): no PSK for this peer's ids
    raise TranslationError(
        f"{PREFIX}: no `vpn ipsec authentication psk` has the ids of peer {peer}"
    )


def peer_conf(tree: Tree, version: str, peer: str) -> tuple[str, str, str]:
    """``(connection name, remote address, swanctl text)`` of one site-to-site peer."""
    p = ("vpn", "ipsec", "site-to-site", "peer", peer)
    ike = tree.need(*p, "ike-group")
    esp = tree.need(*p, "vti", "esp-group")
    tree.need(*p, "vti", "bind")
    _group(tree, "ike-group", ike, peer)
    _group(tree, "esp-group", esp, peer)
    local = tree.need(*p, "local-address")
    if version == "1.4":
        name, child = peer, f"{peer}-vti"
        remote = tree.need(*p, "remote-address")
        local_id = tree.value(*p, "authentication", "local-id", default=local)
        remote_id = tree.value(*p, "authentication", "remote-id", default=remote)
    else:
        name = child = f"peer-{peer}-tunnel-vti"
        remote = peer
        local_id, remote_id = local, remote
    assert local_id is not None and remote_id is not None
    g = ("vpn", "ipsec", "ike-group", ike)
    e = ("vpn", "ipsec", "esp-group", esp)
    version_word = tree.value(*g, "key-exchange", default="ikev2" if version == "1.4" else "ike")
    dpd = ("vpn", "ipsec", "ike-group", ike, "dead-peer-detection")
    dpd_lines, dpd_child = [], []
    if tree.has(*dpd):
        delay = tree.value(*dpd, "interval", default="30")
        timeout = tree.value(*dpd, "timeout", default="120")
        dpd_lines = [f"        dpd_delay = {delay}s", f"        dpd_timeout = {timeout}s"]
        action = DPD_ACTION[tree.value(*dpd, "action", default="hold") or "hold"]
        dpd_child = [f"                dpd_action = {action}"]
    close = CLOSE_ACTION[tree.value(*g, "close-action", default="none") or "none"]
    secret = _psk(tree, version, peer, local_id, remote_id)
    lines = [
        "connections {",
        f"    {name} {{",
        f"        version = {IKE_VERSION[str(version_word)]}",
        f"        local_addrs = {local}",
        f"        remote_addrs = {remote}",
        f"        proposals = {','.join(ike_proposals(tree, ike))}",
        f"        rekey_time = {tree.value(*g, 'lifetime', default=IKE_LIFETIME_DEFAULT)}s",
        *dpd_lines,
        "        keyingtries = 0",
        "        mobike = yes",
        "        local {",
        "            auth = psk",
        f"            id = {local_id}",
        "        }",
        "        remote {",
        "            auth = psk",
        f"            id = {remote_id}",
        "        }",
        "        children {",
        f"            {child} {{",
        "                local_ts = 0.0.0.0/0",
        "                remote_ts = 0.0.0.0/0",
        f"                mode = {tree.value(*e, 'mode', default='tunnel')}",
        f"                esp_proposals = {','.join(esp_proposals(tree, esp, ike))}",
        f"                life_time = {tree.value(*e, 'lifetime', default=ESP_LIFETIME_DEFAULT)}s",
        *dpd_child,
        "                start_action = start",
        f"                close_action = {close}",
        "            }",
        "        }",
        "    }",
        "}",
        "",
        "secrets {",
        f"    ike-{name} {{",
        f"        id-local = {local_id}",
        f"        id-remote = {remote_id}",
        f'        secret = "{secret}"',
        "    }",
        "}",
    ]
    return name, remote, "\n".join(lines) + "\n"


def swanctl_files(
    tree: Tree, version: str, file_names: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``swanctl/<name>.conf`` for every site-to-site peer; ``file_names``: remote address to
    file name stem, for the peers the caller names."""
    files = {}
    for peer in tree.tags("vpn", "ipsec", "site-to-site", "peer"):
        name, remote, text = peer_conf(tree, version, peer)
        files[f"swanctl/{(file_names or {}).get(remote, name)}.conf"] = text
    return files
