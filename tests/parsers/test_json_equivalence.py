"""The text parse of recorded FRR output equals FRR's own json for the same state.

Each ``fixtures/frr/<command>/<case>.raw`` with a ``<case>.json`` beside it was captured in the
same state as the json (``lab_frr.sh capture``), so this runs without root or a lab.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from frr_json_oracle import summary_from_json, summary_from_text, table_from_json, table_from_text

from tasks.parsing import parse

FIXTURES = Path(__file__).parent / "fixtures" / "frr"
TABLES = sorted((FIXTURES / "show_ip_bgp").glob("*.json"))
SUMMARIES = sorted((FIXTURES / "show_ip_bgp_summary").glob("*.json"))


def test_there_are_json_fixtures() -> None:
    assert len(TABLES) >= 4 and len(SUMMARIES) >= 4


@pytest.mark.parametrize("json_file", TABLES, ids=[p.stem for p in TABLES])
def test_show_ip_bgp_matches_json(json_file: Path) -> None:
    parsed = parse("frr", "show ip bgp", json_file.with_suffix(".raw").read_text())
    assert table_from_text(parsed) == table_from_json(json_file.read_text())


@pytest.mark.parametrize("json_file", SUMMARIES, ids=[p.stem for p in SUMMARIES])
def test_summary_matches_json(json_file: Path) -> None:
    parsed = parse("frr", "show ip bgp summary", json_file.with_suffix(".raw").read_text())
    assert summary_from_text(parsed) == summary_from_json(json_file.read_text())
