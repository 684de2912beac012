"""Nornir tasks and the logic under them for BGP outbound high availability of AWS VPCs.

Modules hold one concern each: the inventory model and its validation, secret references,
rendering, platform drivers, parsers, checks, failover and the AWS side. Runbooks under
``runbooks/`` stay thin and call into this package.
"""

from __future__ import annotations

from pathlib import Path

#: Repository root: templates/, parsers/ and inventory/ are found from here, never from the CWD.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
