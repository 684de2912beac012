"""On the live lab, our text parse equals FRR's own json for the same router and moment.

Needs the session fixture ``lab`` (tests/conftest.py): ``lab.routers`` and
``lab.vtysh(router, command) -> str``. The text and json are read back to back; a session that
changes state between the two reads would show as a difference, so a mismatch is retried once.
"""

from __future__ import annotations

from typing import Any

import pytest
from frr_json_oracle import summary_from_json, summary_from_text, table_from_json, table_from_text

from tasks.parsing import parse

pytestmark = pytest.mark.lab


def _both(lab: Any, router: str, command: str) -> tuple[str, str]:
    return lab.vtysh(router, command), lab.vtysh(router, f"{command} json")


def test_lab_has_routers(lab: Any) -> None:
    assert lab.routers


def test_show_ip_bgp_equals_json(lab: Any) -> None:
    for router in lab.routers:
        for _attempt in range(2):
            text, js = _both(lab, router, "show ip bgp")
            if table_from_text(parse("frr", "show ip bgp", text)) == table_from_json(js):
                break
        else:
            pytest.fail(f"{router}: show ip bgp text and json differ")


def test_show_ip_bgp_summary_equals_json(lab: Any) -> None:
    for router in lab.routers:
        for _attempt in range(2):
            text, js = _both(lab, router, "show ip bgp summary")
            parsed = parse("frr", "show ip bgp summary", text)
            if summary_from_text(parsed) == summary_from_json(js):
                break
        else:
            pytest.fail(f"{router}: show ip bgp summary text and json differ")
