"""verify's evidence from outside the routers: the AWS API and a data-plane probe.

- AWS (boto3, :mod:`tasks.aws_checks`): skipped with a reason, never passed or failed, when
  the Nornir config turns the AWS side off (``user_defined.aws.enabled: false``, as the lab's
  does) or no credentials resolve (botocore's usual chain, the instance metadata service only
  on EC2 or with ``user_defined.aws.instance_metadata: true``; no API call is made to find out).
- Data plane: the Nornir config's ``user_defined.probe`` names a probe. ``{kind: lab}`` sends
  UDP probes from the lab's VPC host to its internet host and reads which NAT address they
  arrived from; without a probe the check is skipped with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nornir.core import Nornir

from tasks.model import Router, by_vpc
from tasks.verify import Check, ExtraChecks

log = logging.getLogger(__name__)

PROBE_TRIES = 3
AWS_OFF = "AWS checks off in the Nornir config (user_defined.aws.enabled: false)"


def extra_checks(nr: Nornir, aws: bool = True, probe: bool = True) -> list[ExtraChecks]:
    """The outside-the-router checks verify runs after the router side."""
    checks: list[ExtraChecks] = []
    aws_conf = (nr.config.user_defined or {}).get("aws") or {}
    if aws and aws_conf.get("enabled", True) is False:
        checks.append(lambda routers: [Check("aws", "aws", "skip", "info", AWS_OFF)])
    elif aws:
        imds = aws_conf.get("instance_metadata")
        checks.append(lambda routers: aws_side(routers, instance_metadata=imds))
    if probe:
        conf = (nr.config.user_defined or {}).get("probe")
        checks.append(lambda routers: data_plane(conf, routers))
    return checks


def aws_side(
    routers: dict[str, Router], session: Any | None = None, instance_metadata: bool | None = None
) -> list[Check]:
    """Run :func:`tasks.aws_checks.check_vpc` per VPC; skip everything without credentials."""
    from tasks.aws_checks import check_vpc
    from tasks.aws_session import CREDENTIAL_HELP, aws_credentials_available, boto_session

    session = session or boto_session(instance_metadata=instance_metadata)
    if not aws_credentials_available(session):
        return [Check("aws", "aws", "skip", "info", f"AWS checks skipped: {CREDENTIAL_HELP}")]
    checks = []
    for vpc, members in by_vpc(routers.values()).items():
        for result in check_vpc(session, vpc, members[0].vpc.vgw.id, members):
            checks.append(
                Check(result.check, result.target, result.status, result.severity, result.detail)
            )
    return checks


def data_plane(
    conf: dict[str, Any] | None,
    routers: dict[str, Router],
    probe_source: Callable[[], str | None] | None = None,
) -> list[Check]:
    """Does traffic from the VPC side leave through the primary's NAT address?"""
    if not conf:
        return [
            Check(
                "data_plane",
                "probe",
                "skip",
                "info",
                "no probe configured (user_defined.probe in the Nornir config)",
            )
        ]
    if probe_source is None:
        if conf.get("kind") != "lab":
            return [
                Check(
                    "data_plane",
                    "probe",
                    "error",
                    "info",
                    f"unknown probe kind {conf.get('kind')!r} (known: lab)",
                )
            ]
        from tasks.lab import Lab

        probe_source = Lab().probe_source
    source = None
    for _ in range(PROBE_TRIES):
        source = probe_source()
        if source:
            break
    checks = []
    for vpc, members in by_vpc(routers.values()).items():
        primary = next((r for r in members if r.role == "primary"), None)
        nat = {str(r.wan.address): r.name for r in members}
        if source is None:
            status, detail = "fail", f"{PROBE_TRIES} probes from the VPC host were all lost"
        elif primary is not None and source == str(primary.wan.address):
            status, detail = "pass", f"probe left through {primary.name} (NAT {source})"
        else:
            via = nat.get(source, "an unknown router")
            status, detail = "fail", f"probe left through {via} (NAT {source}), not the primary"
        checks.append(Check("data_plane", vpc, status, "primary", detail))  # type: ignore[arg-type]
    return checks
