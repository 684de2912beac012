"""AWS sessions the usual boto3 way, and one error family for everything the AWS API says.

Region, profile and credentials come from where boto3 always looks (``--profile``/``--region``,
``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID`` and friends, the
shared config and credentials files, SSO, a container or instance role). Nothing here invents a
new place to put a key; it only turns "boto3 found nothing" into a message an operator can act
on, before the first API call fails with a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import boto3
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


def make_session(profile: str | None = None, region: str | None = None) -> boto3.session.Session:
    """A boto3 session for ``profile`` (or the default chain) that is sure to have a region.

    Raises:
        AwsCredentialsError: the profile does not exist, or no region is configured anywhere.
    """
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except BotoCoreError as exc:  # ProfileNotFound and friends
        raise AwsCredentialsError(f"cannot open AWS profile {profile!r}: {exc}") from exc
    if not session.region_name:
        raise AwsCredentialsError(REGION_HELP)
    return session


def aws_credentials_available(session: Any) -> bool:
    """True when botocore's credential chain resolves credentials for ``session``.

    No API call is made (no STS): this only asks the chain. The chain consults the instance
    metadata service last, and only when nothing else is configured; ``AWS_EC2_METADATA_DISABLED
    =true`` turns that off. A broken profile or a failing ``credential_process`` counts as "no
    credentials" (logged), so callers can skip AWS checks instead of crashing.
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
