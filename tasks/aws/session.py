"""AWS sessions the usual boto3 way, and one error family for everything the AWS API says.

Region, profile and credentials come from where boto3 always looks (``--profile``/``--region``,
``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID`` and friends, the
shared config and credentials files, SSO, a container role, an instance role). Nothing here
invents a new place to put a key; it only turns "boto3 found nothing" into a message an operator
can act on, before the first API call fails with a stack trace.

One exception to botocore's chain: the instance metadata service (169.254.169.254) is asked for
an instance role only on an EC2 instance (detected from local files, :func:`on_ec2`) or when
the Nornir config says so (``user_defined.aws.instance_metadata: true``). Elsewhere botocore
would send two TCP connects to that address every time credentials are looked up and none are
configured: traffic to an address no laptop or lab machine has any business reaching.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import boto3
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from tasks.errors import ToolkitError

log = logging.getLogger(__name__)

CREDENTIAL_HELP = (
    "no AWS credentials found: use --profile NAME or AWS_PROFILE (shared config/credentials "
    "files, SSO), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where an instance or "
    "container role is available"
)
REGION_HELP = (
    "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or give the profile "
    "a region in ~/.aws/config"
)


class AwsError(ToolkitError):
    """An AWS API call failed, or AWS holds something the toolkit cannot use."""


class AwsCredentialsError(AwsError):
    """No usable credentials, profile or region: nothing was asked of AWS."""


class ClientFactory(Protocol):
    """Anything that hands out boto3 clients by service name: a boto3 ``Session`` in production,
    a small wrapper returning Stubber-activated clients in tests."""

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any: ...


#: Local evidence of an EC2 instance (no network): Nitro's DMI asset tag is the instance id,
#: its DMI vendor "Amazon EC2"; Xen instances have a hypervisor UUID starting with "ec2".
EC2_MARKERS: tuple[tuple[str, str], ...] = (
    ("/sys/devices/virtual/dmi/id/board_asset_tag", "i-"),
    ("/sys/devices/virtual/dmi/id/sys_vendor", "Amazon EC2"),
    ("/sys/hypervisor/uuid", "ec2"),
)
#: botocore's name for the instance-metadata credential provider in its chain.
IMDS_PROVIDER = "iam-role"


def on_ec2(markers: tuple[tuple[str, str], ...] = EC2_MARKERS) -> bool:
    """True when local files say this machine is an EC2 instance (nothing is sent anywhere)."""
    for path, prefix in markers:
        try:
            if Path(path).read_text(encoding="ascii", errors="replace").strip().startswith(prefix):
                return True
        except OSError:
            continue
    return False


def boto_session(
    profile: str | None = None,
    region: str | None = None,
    instance_metadata: bool | None = None,
) -> boto3.session.Session:
    """A boto3 session whose credential chain asks the instance metadata service only when
    ``instance_metadata`` is true, or (None, the default) when this machine is an EC2 instance.

    Every session the toolkit makes comes from here.

    Raises:
        AwsCredentialsError: the profile does not exist.
    """
    try:
        core = botocore.session.Session(profile=profile)
        use_imds = on_ec2() if instance_metadata is None else instance_metadata
        if not use_imds:
            core.get_component("credential_provider").remove(IMDS_PROVIDER)
        return boto3.session.Session(botocore_session=core, region_name=region)
    except BotoCoreError as exc:  # ProfileNotFound and friends
        raise AwsCredentialsError(f"cannot open AWS profile {profile!r}: {exc}") from exc


def make_session(
    profile: str | None = None, region: str | None = None, instance_metadata: bool | None = None
) -> boto3.session.Session:
    """A :func:`boto_session` for ``profile`` (or the default chain) that is sure to have a region.

    Raises:
        AwsCredentialsError: the profile does not exist, or no region is configured anywhere.
    """
    session = boto_session(profile, region, instance_metadata)
    if not session.region_name:
        raise AwsCredentialsError(REGION_HELP)
    return session


def aws_credentials_available(session: Any) -> bool:
    """True when botocore's credential chain resolves credentials for ``session``.

    No API call is made (no STS): this only asks the chain. In a :func:`boto_session` the chain
    consults the instance metadata service only on EC2 or when configured to. A broken profile
    or a failing ``credential_process`` counts as "no credentials" (logged), so callers can
    skip AWS checks instead of crashing.
    """
    try:
        credentials = session.get_credentials()
    except (BotoCoreError, ClientError) as exc:
        log.warning("AWS credential resolution failed: %s", exc)
        return False
    if credentials is None:
        return False
    try:
        frozen = credentials.get_frozen_credentials()
    except (BotoCoreError, ClientError) as exc:  # refreshable credentials failing to refresh
        log.warning("AWS credentials could not be refreshed: %s", exc)
        return False
    return bool(frozen.access_key and frozen.secret_key)


def require_credentials(session: Any) -> None:
    """Raise :class:`AwsCredentialsError` with the ways to provide credentials when none resolve."""
    if not aws_credentials_available(session):
        raise AwsCredentialsError(CREDENTIAL_HELP)


def describe_error(exc: BaseException) -> str:
    """One line for an AWS failure: the API's error code and message, not a traceback."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "call")
        return f"{operation}: {error.get('Code', 'Error')}: {error.get('Message', exc)}"
    return f"{type(exc).__name__}: {exc}"


def aws_call(what: str, func: Callable[..., Any], **kwargs: Any) -> Any:
    """``func(**kwargs)``, with botocore's errors as one :class:`AwsError` naming ``what``."""
    try:
        return func(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"{what} failed: {describe_error(exc)}") from exc


def aws_pages(what: str, client: Any, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page of ``operation`` through boto3's paginator, errors as in :func:`aws_call`.

    Pages are fetched as they are read, so a caller that stops early asks for no more.
    """
    try:
        yield from client.get_paginator(operation).paginate(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"{what} failed: {describe_error(exc)}") from exc
