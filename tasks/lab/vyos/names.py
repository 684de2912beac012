"""VyOS 1.3's IPsec connection names on a swanctl lab router, and back.

VyOS 1.3 runs strongSwan through ``ipsec.conf`` and names a VTI peer's connection
``peer-<remote address>-tunnel-vti`` (vyatta-cfg-vpn ``vpn-config.pl``). A lab router loads
swanctl.conf, where a dot separates sections, so that name cannot be a section: the lab writes
it with ``_`` for each dot (:func:`to_swanctl`), and what the router's op mode prints from the
live SAs turns it back (:func:`to_vyos`), so ``show vpn ipsec sa`` and ``reset vpn`` speak
VyOS's names. 1.4 names (the peer's own name) pass unchanged.
"""

from __future__ import annotations

import re

_VYOS = re.compile(r"\bpeer-(\d+)\.(\d+)\.(\d+)\.(\d+)-tunnel-vti\b")
_LAB = re.compile(r"\bpeer-(\d+)_(\d+)_(\d+)_(\d+)-tunnel-vti\b")


def to_swanctl(text: str) -> str:
    """Every 1.3 connection name in ``text`` as a swanctl.conf section can hold it."""
    return _VYOS.sub(lambda m: f"peer-{'_'.join(m.groups())}-tunnel-vti", text)


def to_vyos(text: str) -> str:
    """Every lab-written 1.3 connection name in ``text`` as VyOS 1.3 names it."""
    return _LAB.sub(lambda m: f"peer-{'.'.join(m.groups())}-tunnel-vti", text)
