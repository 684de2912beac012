"""The policy rules: one function per rule id, judging a :class:`DeviceConfig`.

A rule yields a :class:`Hit` per offending object (a neighbor, a proposal, a tunnel) with the
offending value, or an :class:`Unjudged` when the config does not let it decide (a masked
address, a host missing from the inventory). It never yields a secret: the PSK rule compares
digests and names tunnels. Messages, severities, fix hints and parameters come from the
policy file, so tuning never needs a code change.

The registry and the records are here; the rules live in one module per subject, each
registering its rules when this package is imported: :mod:`~tasks.compliance.rules.bgp`,
:mod:`~tasks.compliance.rules.ipsec`, :mod:`~tasks.compliance.rules.tunnels`,
:mod:`~tasks.compliance.rules.management`, :mod:`~tasks.compliance.rules.psk`,
:mod:`~tasks.compliance.rules.drift`, and :mod:`tasks.compliance.export_filter`.

AWS facts behind the rules are in shared/DESIGN.md and :mod:`tasks.model`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.compliance.config import DeviceConfig
from tasks.model import Router


@dataclass(frozen=True)
class Hit:
    """One offending object: where it is and the value that offends (never a secret)."""

    where: str
    value: str
    detail: str = ""


@dataclass(frozen=True)
class Unjudged:
    """The rule could not decide for this config, and why (a masked value, missing data)."""

    reason: str


@dataclass
class RuleContext:
    """What a rule may know beside the config: its parameters and the inventory's view."""

    host: str
    params: Mapping[str, Any]
    router: Router | None = None
    mgmt_address: str | None = None
    #: (intended lines missing, extra running lines); None when there is no intended config.
    drift: tuple[int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Outcome = Hit | Unjudged
RuleFn = Callable[[DeviceConfig, RuleContext], Iterable[Outcome]]


@dataclass(frozen=True)
class Rule:
    """A rule implementation and what it needs to run."""

    id: str
    fn: RuleFn
    params: tuple[str, ...] = ()
    #: Needs a whole device config: rendered intended configs lack the management plane.
    needs_device: bool = False
    platforms: tuple[str, ...] = ("vyos", "frr")


REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    params: tuple[str, ...] = (),
    needs_device: bool = False,
    platforms: tuple[str, ...] = ("vyos", "frr"),
) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function under its id."""

    def register(fn: RuleFn) -> RuleFn:
        REGISTRY[rule_id] = Rule(rule_id, fn, params, needs_device, platforms)
        return fn

    return register


# The rule modules register when this registry is imported (last, so the names they import
# from here exist), in the order the rules have always been listed.
# isort: off
from tasks.compliance.rules import bgp, ipsec, tunnels, management, psk, drift  # noqa: E402, F401
from tasks.compliance import export_filter as _export_filter  # noqa: E402, F401
from tasks.compliance.rules import health  # noqa: E402, F401
# isort: on
