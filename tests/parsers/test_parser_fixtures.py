"""Every recorded output beside its expected records (the ntc-templates convention).

``fixtures/<platform>/<command slug>/<case>.raw`` is real device output; ``<case>.yml`` beside
it holds the command sent and either ``expected`` (the records) or ``error`` (the ParseError
message). Pairs are found by stem, from this file's folder, never the working directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tasks.errors import ParseError
from tasks.parsing import parse, template_for
from tasks.parsing.table import PARSERS_DIR, command_table

FIXTURES = Path(__file__).parent / "fixtures"
RAWS = sorted(FIXTURES.rglob("*.raw"))


def _case(raw: Path) -> tuple[str, str, dict]:
    """(platform, slug, yml document) of one fixture."""
    doc = yaml.safe_load(raw.with_suffix(".yml").read_text())
    return raw.parent.parent.name, raw.parent.name, doc


@pytest.mark.parametrize("raw", RAWS, ids=[str(r.relative_to(FIXTURES)) for r in RAWS])
def test_fixture(raw: Path) -> None:
    platform, _, doc = _case(raw)
    text = raw.read_text()
    if "error" in doc:
        with pytest.raises(ParseError) as caught:
            parse(platform, doc["command"], text)
        assert str(caught.value) == doc["error"]
    else:
        assert parse(platform, doc["command"], text) == doc["expected"]


def test_every_raw_has_expected_data_and_the_right_slug() -> None:
    slugs = {(s.platform, s.slug) for s in command_table()}
    for raw in RAWS:
        assert raw.with_suffix(".yml").is_file(), f"{raw} has no .yml beside it"
        platform, slug, doc = _case(raw)
        assert (platform, slug) in slugs, f"{raw}: no command with slug {slug} on {platform}"
        spec = next(s for s in command_table() if s.command.fullmatch(doc["command"]))
        assert spec.slug == slug, f"{raw}: {doc['command']!r} belongs under {spec.slug}"


def test_every_template_has_a_fixture() -> None:
    """A template no recorded output exercises is untested: fail until one is added."""
    used = set()
    for raw in RAWS:
        platform, _, doc = _case(raw)
        template = template_for(platform, doc["command"], raw.read_text())
        if template is not None and "expected" in doc:
            used.add(template)
    templates = set(PARSERS_DIR.rglob("*.ttp"))
    assert templates - used == set()


def test_every_table_entry_has_a_fixture() -> None:
    present = {(r.parent.parent.name, r.parent.name) for r in RAWS}
    missing = {(s.platform, s.slug) for s in command_table()} - present
    assert missing == set()


def test_every_table_template_exists() -> None:
    for spec in command_table():
        for variant in spec.variants:
            assert variant.template.is_file(), variant.template
