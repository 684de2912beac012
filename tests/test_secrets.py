"""A pre-shared key's value never reaches rendered dry-run output, a log line or an error."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from inventory_factory import PSK_ENV, base_hosts, write_inventory

from tasks import PROJECT_ROOT
from tasks.errors import SecretError
from tasks.inventory import load
from tasks.render import as_text, render_router
from tasks.secrets import RedactingFilter, SecretRef, redact

KEYS = {"tun1": "Tun1-Key-Do-Not-Leak-7f3a", "tun2": "Tun2-Key-Do-Not-Leak-91bc"}


@pytest.fixture
def psk_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for tunnel, var in PSK_ENV.items():
        monkeypatch.setenv(var, KEYS[tunnel])
    return KEYS


def test_revealed_render_holds_the_key_and_masked_render_does_not(
    tmp_path: Path, psk_env: dict[str, str]
) -> None:
    router = load(write_inventory(tmp_path, base_hosts("vyos"))).inventory.hosts["r1"]
    model = router.data["router"]
    # The deploy path must really carry the key, or the masked check below proves nothing.
    revealed = as_text(render_router(model, reveal_secrets=True))
    assert all(key in revealed for key in psk_env.values())
    masked = as_text(render_router(model))
    assert not any(key in masked for key in psk_env.values())
    assert redact(revealed).count("********") >= 2
    assert not any(key in redact(revealed) for key in psk_env.values())


def test_dry_run_output_and_log_never_hold_a_key(tmp_path: Path, psk_env: dict[str, str]) -> None:
    config = write_inventory(tmp_path / "inv", base_hosts("frr"))
    log_file = tmp_path / "deploy.log"
    run = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "runbooks" / "deploy.py"), "--render-only", "-vv",
         "-c", str(config), "--log-file", str(log_file)],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, **{PSK_ENV[t]: key for t, key in KEYS.items()}},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert 'secret = "********"' in run.stdout
    everything = run.stdout + run.stderr + log_file.read_text()
    assert not any(key in everything for key in psk_env.values())


def test_log_records_are_redacted_once_a_key_was_resolved(psk_env: dict[str, str]) -> None:
    value = SecretRef(env=PSK_ENV["tun1"]).resolve()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.secrets")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("pushing secret %s to %s", value, "r1")
        logger.info("inline %s", {"psk": value})
        try:
            raise RuntimeError(f"device said: bad key {value}")
        except RuntimeError:
            logger.exception("apply failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "pushing secret ******** to r1" in text
    assert value not in text


def test_secret_errors_name_the_reference_not_a_value(tmp_path: Path) -> None:
    ref = SecretRef(env="SURELY_UNSET_PSK_VARIABLE")
    with pytest.raises(SecretError, match="SURELY_UNSET_PSK_VARIABLE is not set"):
        ref.resolve()
    secret_file = tmp_path / "psk"
    secret_file.write_text("File-Key-Not-In-Errors-55\n")
    assert SecretRef(file=str(secret_file)).resolve() == "File-Key-Not-In-Errors-55"
    with pytest.raises(SecretError) as info:
        SecretRef(file=str(tmp_path / "missing")).resolve()
    assert "File-Key" not in str(info.value)


def test_plain_text_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        SecretRef()
