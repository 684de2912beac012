"""Secret references: pre-shared keys and passwords are named in the inventory, never written.

A reference says where the value lives (``env``, ``file``, ``ssm`` or ``secretsmanager``; or
``memory``, for keys this process fetched from AWS itself and must never write anywhere).
Values are fetched only when a task really needs them (deploying a config), are remembered in
a process-wide redaction set, and every line of output or logging goes through
:func:`redact`, so a resolved key never reaches a terminal, a log file or a diff.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from tasks.errors import SecretError

MASK = "********"

_known_secrets: set[str] = set()
_lock = threading.Lock()
#: Process-local values behind ``memory:`` references (keys read from a VPN connection's
#: customer gateway configuration): never in the environment, so child processes never see them.
_memory_store: dict[str, str] = {}

SOURCES = ("env", "file", "ssm", "secretsmanager", "memory")


def remember_secret(value: str) -> None:
    """Add a value to the redaction set (values shorter than 4 characters are too noisy)."""
    if value and len(value) >= 4:
        with _lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    """Return ``text`` with every secret value this process has resolved replaced by a mask."""
    with _lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


#: Where a key stands in the configuration text the toolkit reads back from routers: strongSwan's
#: ``secret = "..."`` and VyOS's ``secret '...'`` / ``pre-shared-secret '...'`` (set lines and
#: ``compare`` output). A value there is masked whatever it is: a key read back from a router
#: (the one a rotation replaces) was never resolved by this process, so :func:`redact` cannot
#: know it.
_KEY_POSITION = re.compile(
    r"""(?P<head>\b(?:secret|pre-shared-secret)(?:\s*=\s*|\s+))(?P<q>["']?)(?P<value>[^\s"']+)(?P=q)"""
)


def mask_key_positions(text: str) -> str:
    """``text`` with every value in a key position masked (keys, whatever their origin)."""
    return _KEY_POSITION.sub(lambda m: f"{m['head']}{m['q']}{MASK}{m['q']}", text)


def store_in_memory(name: str, value: str) -> SecretRef:
    """Keep ``value`` in this process only, remember it for redaction, return its reference."""
    remember_secret(value)
    with _lock:
        _memory_store[name] = value
    return SecretRef(memory=name)


class RedactingFilter(logging.Filter):
    """Logging filter that masks resolved secrets in every record, including its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


class SecretRef(BaseModel):
    """Where a secret lives. Exactly one source is given.

    Examples (YAML)::

        psk: {env: VPN_R1_T1_PSK}
        psk: {file: /etc/vpc-ha/r1-t1.psk}
        psk: {ssm: /vpn/r1/t1/psk}
        psk: {secretsmanager: vpn/r1}       # the whole SecretString
        psk: {secretsmanager: vpn/r1, key: tunnel1}   # one key of a JSON SecretString

    ``memory`` is set by code (:func:`store_in_memory`), not written in YAML: it names a key
    this process fetched from AWS and holds only in memory.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: str | None = None
    ssm: str | None = None
    secretsmanager: str | None = None
    memory: str | None = None
    key: str | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> SecretRef:
        given = [s for s in SOURCES if getattr(self, s)]
        if len(given) != 1:
            raise ValueError(
                "a secret reference needs exactly one of env, file, ssm, secretsmanager, memory "
                f"(got {given or 'none'}); plain-text secrets are not accepted"
            )
        if self.key and not self.secretsmanager:
            raise ValueError("'key' is only meaningful with 'secretsmanager'")
        return self

    @property
    def kind(self) -> Literal["env", "file", "ssm", "secretsmanager", "memory"]:
        for source in SOURCES:
            if getattr(self, source):
                return source  # type: ignore[return-value]
        raise AssertionError("validated reference without a source")

    def describe(self) -> str:
        """A safe, human description of the reference (never the value)."""
        where = getattr(self, self.kind)
        return f"{self.kind}:{where}" + (f"#{self.key}" if self.key else "")

    def resolve(self, session: Any | None = None) -> str:
        """Fetch the value now; remember it for redaction. Raises :class:`SecretError`."""
        value = _fetch(self, session)
        value = value.strip()
        if not value:
            raise SecretError(f"secret {self.describe()} is empty")
        remember_secret(value)
        return value


def _fetch(ref: SecretRef, session: Any | None) -> str:
    if ref.env:
        if ref.env not in os.environ:
            raise SecretError(
                f"environment variable {ref.env} is not set (export it, or point the "
                "reference at a file, SSM or Secrets Manager)"
            )
        return os.environ[ref.env]
    if ref.memory:
        with _lock:
            value = _memory_store.get(ref.memory)
        if value is None:
            raise SecretError(
                f"secret {ref.describe()} is not held by this process (keys read from AWS live "
                "only in the process that fetched them; load the inventory with AWS enrichment)"
            )
        return value
    if ref.file:
        path = Path(ref.file).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretError(f"cannot read secret file {path}: {exc.strerror}") from exc
    return _fetch_aws(ref, session)


def _fetch_aws(ref: SecretRef, session: Any | None) -> str:
    import json

    from botocore.exceptions import BotoCoreError, ClientError

    from tasks.aws.session import boto_session

    session = session or boto_session()
    try:
        if ref.ssm:
            client = session.client("ssm")
            answer = client.get_parameter(Name=ref.ssm, WithDecryption=True)
            return str(answer["Parameter"]["Value"])
        client = session.client("secretsmanager")
        answer = client.get_secret_value(SecretId=ref.secretsmanager)
        text = str(answer["SecretString"])
        if ref.key:
            try:
                return str(json.loads(text)[ref.key])
            except (ValueError, KeyError) as exc:
                raise SecretError(f"secret {ref.describe()} has no JSON key {ref.key!r}") from exc
        return text
    except (BotoCoreError, ClientError) as exc:
        raise SecretError(f"cannot fetch secret {ref.describe()}: {exc}") from exc
