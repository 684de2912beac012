"""The command table's ``builder:`` column: names resolve to registered builders, or are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.errors import ParseError
from tasks.parsing import table
from tasks.parsing.table import BUILDERS, command_table


@pytest.fixture
def fresh_table() -> Iterator[None]:
    """Load the table anew for the test, and the real one again after it."""
    command_table.cache_clear()
    yield
    command_table.cache_clear()


def test_an_unknown_builder_is_refused_naming_file_platform_command_and_known_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_table: None
) -> None:
    commands = tmp_path / "commands.yaml"
    commands.write_text(
        "vyos:\n"
        "  - command: 'show vpn ipsec sa'\n"
        "    slug: show_vpn_ipsec_sa\n"
        "    shape: ipsec_sas\n"
        "    variants:\n"
        "      - template: vyos/show_vpn_ipsec_sa_v13.ttp\n"
        "        builder: ipsec_v14\n"
        "        signature: '^Connection +State'\n"
    )
    monkeypatch.setattr(table, "COMMANDS_FILE", commands)
    with pytest.raises(ParseError) as caught:
        command_table()
    message = str(caught.value)
    assert str(commands) in message
    assert "vyos 'show vpn ipsec sa'" in message
    assert "'ipsec_v14'" in message
    assert "known builders: " + ", ".join(sorted(BUILDERS)) in message


def test_every_registered_builder_is_named_in_the_table() -> None:
    """A builder no variant names is dead code: the table and the registry agree."""
    named = {v.builder for spec in command_table() for v in spec.variants}
    assert {name for name, builder in BUILDERS.items() if builder not in named} == set()
