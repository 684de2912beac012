"""verify's exit code: a proven primary failure > could not verify > a backup problem."""

from __future__ import annotations

import pytest

from tasks.verify.report import Check, exit_code


def check(status: str, severity: str) -> Check:
    return Check("x", "t", status, severity)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("checks", "code"),
    [
        ([check("pass", "primary"), check("pass", "backup")], 0),
        ([check("pass", "primary"), check("skip", "info"), check("warn", "backup")], 0),
        ([check("fail", "backup")], 1),
        ([check("fail", "backup"), check("error", "backup")], 3),
        ([check("error", "primary"), check("fail", "backup")], 3),
        ([check("fail", "primary"), check("error", "primary")], 2),
        ([], 3),
    ],
)
def test_exit_code_precedence(checks: list[Check], code: int) -> None:
    assert exit_code(checks) == code
