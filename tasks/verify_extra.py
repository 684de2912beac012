"""verify's evidence from outside the routers: the AWS API and a data-plane probe.

- AWS (boto3, :mod:`tasks.aws.checks`): skipped with a reason, never passed or failed, when
  the Nornir config turns the AWS side off (``user_defined.aws.enabled: false``, as the lab's
  does) or no credentials resolve (botocore's usual chain, the instance metadata service only
  on EC2 or with ``user_defined.aws.instance_metadata: true``; no API call is made to find out).
- Data plane: the Nornir config's ``user_defined.probe.kind`` names an observer
  (:mod:`tasks.observers`): ``counters`` (the default: the routers' own tunnel, SA and NAT
  counters over SSH), ``ssm`` (an agent in the VPC) or ``lab`` (registered by the lab). An
  unknown kind is an ``error`` check naming the known kinds (verify's runbook refuses it before
  touching any device).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from nornir.core import Nornir

from tasks.errors import ToolkitError
from tasks.model import Router, by_vpc
from tasks.observers.base import source_checks
from tasks.verify import ExtraChecks
from tasks.verify.report import Check

log = logging.getLogger(__name__)

PROBE_TRIES = 3
AWS_OFF = "AWS checks off in the Nornir config (user_defined.aws.enabled: false)"


def extra_checks(nr: Nornir, aws: bool = True, probe: bool = True) -> list[ExtraChecks]:
    """The outside-the-router checks verify runs after the router side.

    Raises:
        ObserverError: ``user_defined.probe.kind`` names no known observer (checked here,
            before any device is touched).
    """
    checks: list[ExtraChecks] = []
    aws_conf = (nr.config.user_defined or {}).get("aws") or {}
    if aws and aws_conf.get("enabled", True) is False:
        checks.append(lambda routers: [Check("aws", "aws", "skip", "info", AWS_OFF)])
    elif aws:
        imds = aws_conf.get("instance_metadata")
        checks.append(lambda routers: aws_side(routers, instance_metadata=imds))
    if probe:
        from tasks.observers import check_kind

        conf = (nr.config.user_defined or {}).get("probe")
        check_kind(conf)
        hosts = nr.inventory.hosts
        checks.append(lambda routers: data_plane(conf, routers, hosts=hosts))
    return checks


def aws_side(
    routers: dict[str, Router], session: Any | None = None, instance_metadata: bool | None = None
) -> list[Check]:
    """Run :func:`tasks.aws.checks.check_vpc` per VPC; skip everything without credentials."""
    from tasks.aws.checks import check_vpc
    from tasks.aws.session import CREDENTIAL_HELP, aws_credentials_available, boto_session

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
    hosts: Mapping[str, Any] | None = None,
) -> list[Check]:
    """Does traffic from the VPC side leave through the primary? Asked of the configured
    observer (:mod:`tasks.observers`; ``counters`` when none is configured).

    ``probe_source`` (tests) stands in for a probe: one call, the NAT address seen or None.
    """
    if probe_source is not None:
        source = None
        for _ in range(PROBE_TRIES):
            source = probe_source()
            if source:
                break
        return source_checks(routers, source, "probe")
    from tasks.observers import ObserverError, observer_for

    try:
        observer = observer_for(conf, hosts or {})
    except ObserverError as exc:
        return [Check("data_plane", "probe", "error", "info", str(exc))]
    try:
        return list(observer.data_plane(routers))
    except ToolkitError as exc:  # e.g. ssm without AWS credentials: cannot verify, said so
        return [Check("data_plane", "probe", "error", "info", f"{observer.kind}: {exc}")]
    finally:
        observer.close()
