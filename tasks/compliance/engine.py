"""Run the policy over parsed configs and turn rule outcomes into findings.

The engine owns what rules should not: which rules apply (enabled, platform, whole-device
data), the finding's text from the policy, a stable fingerprint for history, fleet-wide checks
(a key shared between routers), and turning a host that could not be read into a finding, so
an unreachable router is never silently "compliant".
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from tasks.compliance.config import DeviceConfig
from tasks.compliance.drift import Drift
from tasks.compliance.policy import Policy, RuleSpec, severity_rank
from tasks.compliance.rules import REGISTRY, Hit, RuleContext, Unjudged
from tasks.compliance.rules.psk import psk_fleet
from tasks.model import Router
from tasks.secrets import redact

log = logging.getLogger(__name__)

CHECK_FAILED = "check-failed"
PSK_RULE = "psk-default-or-reused"


@dataclass
class Finding:
    """One broken rule on one host: everything an operator needs, and no secret.

    ``status`` and ``since`` are filled by history: ``new`` or ``standing`` since a time.

    Example::

        Finding(host="router2", rule="bgp-weight-range", severity="high",
                message="BGP weight is outside 0..65535", fix="weight is a 16-bit value ...",
                where="route-map def-route rule 1", value="weight 65536",
                fingerprint="3c1f...", status="new", since="2025-01-01T10:00:00+00:00")
    """

    host: str
    rule: str
    severity: str
    message: str
    fix: str
    where: str
    value: str
    fingerprint: str
    status: str = "new"
    since: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class HostInput:
    """A parsed config and what the inventory knows about the host (None when unknown)."""

    config: DeviceConfig
    router: Router | None = None
    mgmt_address: str | None = None
    drift: Drift | None = None


@dataclass
class HostResult:
    """Everything judged about one host in one run."""

    host: str
    platform: str | None
    form: str | None
    findings: list[Finding] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    unjudged: list[tuple[str, str]] = field(default_factory=list)
    drift: str = ""
    error: str | None = None

    @property
    def worst(self) -> str | None:
        ranks = [severity_rank(f.severity) for f in self.findings]
        return None if not ranks else self.findings[ranks.index(max(ranks))].severity


def fingerprint(rule: str, where: str) -> str:
    """Identity of a finding across runs: the rule and the object, not the value, so a
    changed value on the same neighbor stays one standing finding."""
    return hashlib.sha256(f"{rule}\0{where}".encode()).hexdigest()[:16]


def _finding(host: str, spec: RuleSpec, hit: Hit) -> Finding:
    message = f"{spec.message}: {hit.detail}" if hit.detail else spec.message
    return Finding(
        host=host,
        rule=spec.id,
        severity=spec.severity,
        message=redact(message),
        fix=spec.fix,
        where=redact(hit.where),
        value=redact(hit.value),
        fingerprint=fingerprint(spec.id, hit.where),
    )


def evaluate(item: HostInput, policy: Policy) -> HostResult:
    """Judge one host's config against every applicable rule of the policy."""
    cfg = item.config
    result = HostResult(cfg.host, cfg.platform, cfg.form)
    if item.drift is not None:
        result.drift = item.drift.diff
    for spec in policy.rules:
        rule = REGISTRY[spec.id]
        reason = _skip_reason(spec, cfg)
        if reason:
            result.skipped[spec.id] = reason
            continue
        ctx = RuleContext(
            host=cfg.host,
            params=spec.params,
            router=item.router,
            mgmt_address=item.mgmt_address,
            drift=(item.drift.missing, item.drift.extra) if item.drift else None,
        )
        result.evaluated.append(spec.id)
        for outcome in rule.fn(cfg, ctx):
            if isinstance(outcome, Unjudged):
                result.unjudged.append((spec.id, redact(outcome.reason)))
            else:
                result.findings.append(_finding(cfg.host, spec, outcome))
    return result


def _skip_reason(spec: RuleSpec, cfg: DeviceConfig) -> str:
    rule = REGISTRY[spec.id]
    if not spec.enabled:
        return "disabled in the policy"
    if spec.id == CHECK_FAILED:
        return "host was checked"
    if cfg.platform not in rule.platforms:
        return f"not applicable to {cfg.platform}"
    if rule.needs_device and not cfg.complete:
        return "needs a device config; a rendered intended config lacks this data"
    return ""


def failed(host: str, error: str, policy: Policy) -> HostResult:
    """The result of a host that could not be fetched or parsed: one check-failed finding."""
    result = HostResult(host, None, None, error=redact(error))
    spec = policy.spec(CHECK_FAILED)
    if spec.enabled:
        result.evaluated.append(CHECK_FAILED)
        result.findings.append(_finding(host, spec, Hit("host", redact(error))))
    return result


def evaluate_all(
    items: Iterable[HostInput], policy: Policy, failures: dict[str, str] | None = None
) -> list[HostResult]:
    """Judge every host, then the fleet-wide rules; failures become check-failed results."""
    items = list(items)
    results = {item.config.host: evaluate(item, policy) for item in items}
    spec = policy.spec(PSK_RULE)
    if spec.enabled:
        for host, hits in psk_fleet(item.config for item in items).items():
            results[host].findings.extend(_finding(host, spec, hit) for hit in hits)
    for host, error in (failures or {}).items():
        results[host] = failed(host, error, policy)
    return [results[h] for h in sorted(results)]


def worst_severity(results: Iterable[HostResult]) -> str | None:
    """The worst severity over all findings, or None when there are none."""
    worst: str | None = None
    for result in results:
        candidate = result.worst
        if candidate and (worst is None or severity_rank(candidate) > severity_rank(worst)):
            worst = candidate
    return worst
