"""Drift from the intended config, and the finding for a host that could not be checked."""

from __future__ import annotations

from collections.abc import Iterator

from tasks.compliance.config import DeviceConfig
from tasks.compliance.rules import Hit, Outcome, RuleContext, Unjudged, rule


@rule("config-drift")
def config_drift(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """The running config differs from the rendered intended config inside what this toolkit
    manages: someone changed the router by hand, or a deploy did not finish."""
    if ctx.drift is None:
        yield Unjudged("nothing to compare: host not in the inventory, or no running config")
        return
    missing, extra = ctx.drift
    if missing or extra:
        yield Hit("config", f"{missing} intended line(s) missing, {extra} extra")


@rule("check-failed")
def check_failed(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Placeholder: the engine raises this finding itself when a host cannot be fetched or
    parsed, so an unreachable router is never reported as compliant."""
    return iter(())
