"""The VyOS config tree as the translators read it, and the scope they accept.

A tree is the set of entries :mod:`tasks.lab.vyos.cli` keeps: each entry the words after ``set``,
unquoted, one per configured leaf (``("protocols", "bgp", "system-as", "65010")``). The scope
is what ``templates/vyos/config.set.j2`` renders (both syntaxes), what a controlled failover
sets (``tasks/failover/policy.py``) and the benign nodes of a factory VyOS: anything else is
refused, naming the path, because a lab router that ignored it would claim an effect VyOS
would have and the lab does not.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from tasks.errors import ToolkitError

Entry = tuple[str, ...]

#: Words whose next word is a secret: never repeated in a message.
SECRET_KEYS = frozenset({"secret", "pre-shared-secret"})

PREFIX = "lab VyOS personality"


class TranslationError(ToolkitError):
    """The tree holds something the lab cannot give VyOS's effect to; the message names the
    path (never a secret value)."""


#: Accepted entries, one pattern per line: ``*`` any word, ``a|b`` one of those words.
#: ``{bgp}`` is ``protocols bgp`` (1.4) or ``protocols bgp *`` (1.3, the ASN in the path).
_COMMON = """
interfaces ethernet * address *
interfaces ethernet * description *
interfaces loopback lo
service ssh
service ssh port *
system host-name *
system config-management commit-revisions *
system syslog global facility * level *
system login user * authentication encrypted-password *
system login user * authentication plaintext-password *
system ntp server *
service ntp server *
interfaces vti * address *
interfaces vti * description *
interfaces vti * mtu *
vpn ipsec options disable-route-autoinstall
vpn ipsec ike-group * key-exchange ikev1|ikev2
vpn ipsec ike-group * lifetime *
vpn ipsec ike-group * proposal * dh-group *
vpn ipsec ike-group * proposal * encryption *
vpn ipsec ike-group * proposal * hash *
vpn ipsec ike-group * dead-peer-detection action *
vpn ipsec ike-group * dead-peer-detection interval *
vpn ipsec ike-group * dead-peer-detection timeout *
vpn ipsec esp-group * lifetime *
vpn ipsec esp-group * mode tunnel
vpn ipsec esp-group * pfs *
vpn ipsec esp-group * proposal * encryption *
vpn ipsec esp-group * proposal * hash *
vpn ipsec site-to-site peer * authentication mode pre-shared-secret
vpn ipsec site-to-site peer * connection-type initiate
vpn ipsec site-to-site peer * description *
vpn ipsec site-to-site peer * ike-group *
vpn ipsec site-to-site peer * local-address *
vpn ipsec site-to-site peer * vti bind *
vpn ipsec site-to-site peer * vti esp-group *
policy prefix-list * rule * action permit|deny
policy prefix-list * rule * prefix *
policy prefix-list * rule * le *
policy prefix-list * rule * ge *
policy route-map * description *
policy route-map * rule * action permit|deny
policy route-map * rule * match ip address prefix-list *
policy route-map * rule * set metric *
policy route-map * rule * set local-preference *
{bgp} parameters router-id *
{bgp} parameters log-neighbor-changes
{bgp} address-family ipv4-unicast network *
{bgp} neighbor * remote-as *
{bgp} neighbor * description *
{bgp} neighbor * update-source *
{bgp} neighbor * timers holdtime|keepalive|connect *
{bgp} neighbor * shutdown
{bgp} neighbor * address-family ipv4-unicast soft-reconfiguration inbound
{bgp} neighbor * address-family ipv4-unicast route-map export|import *
nat source rule * description *
nat source rule * source address *
nat source rule * translation address masquerade
"""

_V13 = """
firewall options interface * adjust-mss *
vpn ipsec ipsec-interfaces interface *
vpn ipsec ike-group * close-action none|hold|clear|restart
vpn ipsec site-to-site peer * authentication pre-shared-secret *
policy route-map * rule * set as-path-prepend *
nat source rule * outbound-interface *
"""

_V14 = """
interfaces vti * ip adjust-mss *
vpn ipsec interface *
vpn ipsec ike-group * close-action none|trap|start
vpn ipsec authentication psk * id *
vpn ipsec authentication psk * secret *
vpn ipsec site-to-site peer * authentication local-id *
vpn ipsec site-to-site peer * authentication remote-id *
vpn ipsec site-to-site peer * remote-address *
policy route-map * rule * set as-path prepend *
protocols bgp system-as *
{bgp} parameters conditional-advertisement timer *
{bgp} address-family ipv4-unicast redistribute kernel route-map *
{bgp} neighbor * address-family ipv4-unicast conditionally-advertise advertise-map|exist-map *
protocols failover route * next-hop * check target *
protocols failover route * next-hop * check policy any-available
protocols failover route * next-hop * check timeout *
protocols failover route * next-hop * check type icmp
protocols failover route * next-hop * interface *
service event-handler event * filter pattern *
service event-handler event * filter syslog-identifier vyos-failover
service event-handler event * script arguments '-c "clear bgp ipv4 unicast * soft out"'
service event-handler event * script path /usr/bin/vtysh
nat source rule * outbound-interface name *
"""


def _patterns(version: str) -> tuple[tuple[frozenset[str] | None, ...], ...]:
    bgp = "protocols bgp" if version == "1.4" else "protocols bgp *"
    text = _COMMON + (_V14 if version == "1.4" else _V13)
    out = []
    for line in text.replace("{bgp}", bgp).splitlines():
        if line.strip():
            out.append(
                tuple(None if w == "*" else frozenset(w.split("|")) for w in shlex.split(line))
            )
    return tuple(out)


def shown(words: Iterable[str]) -> str:
    """A path for a message: secrets (the word after ``secret``) masked."""
    out: list[str] = []
    for word in words:
        out.append("****" if out and out[-1] in SECRET_KEYS else word)
    return " ".join(out)


def check_scope(entries: Iterable[Entry], version: str) -> None:
    """Refuse the first entry (sorted) outside the scope, naming its path up to the first word
    no accepted pattern has there."""
    if version not in ("1.3", "1.4"):
        raise TranslationError(f"{PREFIX}: unknown VyOS version {version!r} (1.3 or 1.4)")
    patterns = _patterns(version)
    for entry in sorted(entries):
        best = 0
        for pattern in patterns:
            depth = 0
            for word, allowed in zip(entry, pattern, strict=False):
                if allowed is not None and word not in allowed:
                    break
                depth += 1
            if depth == len(entry) == len(pattern):
                break
            best = max(best, depth)
        else:
            path = shown(entry[: best + 1])
            raise TranslationError(
                f"{PREFIX}: `{path}` is outside what the toolkit renders; refused"
            )


class Tree:
    """Read access to a config tree by path prefix."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = frozenset(tuple(e) for e in entries)

    def under(self, *prefix: str) -> list[Entry]:
        n = len(prefix)
        return sorted(e[n:] for e in self.entries if e[:n] == prefix and len(e) > n)

    def has(self, *prefix: str) -> bool:
        n = len(prefix)
        return any(e[:n] == prefix for e in self.entries)

    def tags(self, *prefix: str) -> list[str]:
        """The next words under ``prefix``, rule numbers numerically, names alphabetically."""
        words = {e[0] for e in self.under(*prefix)}
        return sorted(words, key=lambda w: (0, int(w), "") if w.isdigit() else (1, 0, w))

    def values(self, *prefix: str) -> list[str]:
        """Every value of a (multi-value) leaf: the one word after ``prefix``."""
        return [e[0] for e in self.under(*prefix) if len(e) == 1]

    def value(self, *prefix: str, default: str | None = None) -> str | None:
        found = self.values(*prefix)
        return found[0] if found else default

    def need(self, *prefix: str) -> str:
        """A value VyOS's commit needs (its verify() refuses the commit without it)."""
        found = self.value(*prefix)
        if found is None:
            raise TranslationError(
                f"{PREFIX}: `{shown(prefix)}` is not set; VyOS refuses the commit"
            )
        return found
