"""The policy file: every rule's id, severity, message, fix hint, parameters and on/off switch.

Rule *logic* lives in :mod:`tasks.compliance.rules`; everything an operator may want to tune
lives in one YAML file (``compliance/policy.yaml`` by default), validated on load so a typo in
an id or a missing parameter stops the run before any device is contacted, instead of
silently disabling a check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasks import PROJECT_ROOT
from tasks.errors import BadInput

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")
DEFAULT_POLICY = PROJECT_ROOT / "compliance" / "policy.yaml"


class PolicyError(BadInput):
    """The policy file is unreadable, malformed, or disagrees with the rules the code has."""


class RuleSpec(BaseModel):
    """One rule as the policy file configures it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]+$")
    enabled: bool = True
    severity: Severity
    message: str = Field(min_length=1)
    fix: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


class Policy(BaseModel):
    """The whole policy: rules by id, in file order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    rules: list[RuleSpec]

    def spec(self, rule_id: str) -> RuleSpec:
        for spec in self.rules:
            if spec.id == rule_id:
                return spec
        raise PolicyError(f"rule {rule_id!r} is not in the policy")


def severity_rank(severity: str) -> int:
    """0 for info up to 4 for critical."""
    return SEVERITIES.index(severity)


def load_policy(path: str | Path = DEFAULT_POLICY) -> Policy:
    """Read and validate a policy file against the rules this code implements.

    Raises:
        PolicyError: unreadable file, bad YAML, bad fields, an unknown or missing rule id, a
            duplicate id, or a missing parameter a rule needs.
    """
    from tasks.compliance.rules import REGISTRY

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read policy {path}: {exc}") from exc
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"policy {path} is invalid:\n{exc}") from exc
    problems: list[str] = []
    ids = [s.id for s in policy.rules]
    problems += [f"duplicate rule id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [
        f"unknown rule id {i} (no such rule in the code)" for i in ids if i not in REGISTRY
    ]
    problems += [
        f"rule {i} is missing (every rule must be listed; set enabled: false to turn it off)"
        for i in REGISTRY
        if i not in ids
    ]
    for spec in policy.rules:
        rule = REGISTRY.get(spec.id)
        if rule:
            problems += [
                f"rule {spec.id}: parameter {p!r} is required"
                for p in rule.params
                if p not in spec.params
            ]
    if problems:
        raise PolicyError(f"policy {path}: " + "; ".join(problems))
    return policy
