"""The credential chain asks the instance metadata service only on EC2 or when told to.

botocore's own chain (no AWS endpoint is reached: these only build sessions and inspect their
provider list, and on_ec2 reads marker files the test writes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.aws.session import IMDS_PROVIDER, boto_session, on_ec2


def providers(session: object) -> list[str]:
    chain = session._session.get_component("credential_provider")  # type: ignore[attr-defined]
    return [p.METHOD for p in chain.providers]


def test_off_ec2_the_chain_has_no_instance_metadata_provider(monkeypatch) -> None:
    monkeypatch.setattr("tasks.aws.session.on_ec2", lambda: False)
    names = providers(boto_session(region="eu-west-1"))
    assert IMDS_PROVIDER not in names
    assert {"env", "shared-credentials-file", "container-role"} <= set(names)


def test_on_ec2_or_when_configured_the_provider_stays(monkeypatch) -> None:
    monkeypatch.setattr("tasks.aws.session.on_ec2", lambda: True)
    assert IMDS_PROVIDER in providers(boto_session(region="eu-west-1"))
    monkeypatch.setattr("tasks.aws.session.on_ec2", lambda: False)
    assert IMDS_PROVIDER in providers(boto_session(region="eu-west-1", instance_metadata=True))
    monkeypatch.setattr("tasks.aws.session.on_ec2", lambda: True)
    assert IMDS_PROVIDER not in providers(boto_session(region="x", instance_metadata=False))


@pytest.mark.parametrize(
    ("content", "expected"),
    [("i-0123456789abcdef0\n", True), ("Not Specified\n", False), (None, False)],
)
def test_on_ec2_reads_local_markers_only(
    tmp_path: Path, content: str | None, expected: bool
) -> None:
    marker = tmp_path / "board_asset_tag"
    if content is not None:
        marker.write_text(content)
    assert on_ec2(((str(marker), "i-"),)) is expected
