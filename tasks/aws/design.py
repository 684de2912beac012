"""What the design sends AWS, and AWS's limit on it: one place for verify and compliance."""

from __future__ import annotations

#: What the rendered configs advertise to AWS (``templates/<platform>/``: prefix-list
#: DEFAULT-ONLY, ``network 0.0.0.0/0``), so what every tunnel should have AWS accept.
ADVERTISED: tuple[str, ...] = ("0.0.0.0/0",)
#: AWS Site-to-Site VPN quota: routes a customer gateway may advertise on one VPN BGP session;
#: more resets the session to Idle (shared/DESIGN.md). Not adjustable.
AWS_PREFIX_LIMIT = 100
