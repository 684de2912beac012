"""parse()'s contract for bad input, its unit conversions, and the default-route helper.

The fuzz tests hold parse() to the module's promise: whatever the input, the caller gets
records, an empty result or a ParseError, never another exception and never a record that
claims more health than the text shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.errors import ParseError
from tasks.parsing import parse
from tasks.parsing.table import PARSERS_DIR, lookup, run_chunked, run_template
from tasks.parsing.units import duration_s, human_size
from tasks.records import active_default_route

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = [
    raw
    for raw in sorted(FIXTURES.rglob("*.raw"))
    if "expected" in yaml.safe_load(raw.with_suffix(".yml").read_text())
]
COMMANDS = [
    ("frr", "show ip bgp"),
    ("frr", "show ip bgp summary"),
    ("frr", "show ip route"),
    ("frr", "swanctl --list-sas"),
    ("frr", "show ip bgp neighbors 10.0.0.1 advertised-routes"),
    ("frr", "show ip bgp neighbors 10.0.0.1 routes"),
    ("vyos", "show ip bgp"),
    ("vyos", "show ip bgp summary"),
    ("vyos", "show vpn ipsec sa"),
]


def _doc(raw: Path) -> dict:
    return yaml.safe_load(raw.with_suffix(".yml").read_text())


def _healthy_count(result: object) -> int:
    """How many records claim health: established neighbors, up SAs, valid paths, routes."""
    if isinstance(result, list):
        return sum(sa["up"] for sa in result)
    assert isinstance(result, dict)
    if "neighbors" in result:
        return sum(n["established"] for n in result["neighbors"])
    if "paths" in result:
        return sum(p["valid"] for p in result["paths"])
    if "state" in result:  # one neighbor's detail
        return int(result["state"] == "Established")
    return len(result["routes"])


def _parse_or_none(platform: str, command: str, raw: str) -> object | None:
    try:
        return parse(platform, command, raw)
    except ParseError:
        return None


# --- unit conversion ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "base", "expected"),
    [
        ("7.5M", 1024, 7864320),
        ("230.6K", 1024, 236134),
        ("840B", 1024, 840),
        ("1K", 1024, 1024),
        ("463.0", 1024, 463),
        ("1K", 1000, 1000),
        ("17", 1000, 17),
        ("n/a", 1024, None),
        ("N/A", 1024, None),
    ],
)
def test_human_size(text: str, base: int, expected: int | None) -> None:
    assert human_size(text, base) == expected


@pytest.mark.parametrize("text", ["7.5X", "M", "1.2.3K", "-1K"])
def test_human_size_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        human_size(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:01:23", 83),
        ("14:36:47", 52607),
        ("1d02h03m", 93780),
        ("5d13h10m", 479400),
        ("2w3d", 1468800),
        ("03w0d03h", 1825200),
        ("36m24s", 2184),
        ("1m59s", 119),
        ("never", None),
    ],
)
def test_duration_s(text: str, expected: int | None) -> None:
    assert duration_s(text) == expected


@pytest.mark.parametrize("text", ["", "1x", "1d 2h", "12:3:45", "d1"])
def test_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        duration_s(text)


# --- lookup and empty input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "command"),
    [("junos", "show ip bgp"), ("vyos", "show ip ospf"), ("frr", "show vpn ipsec sa")],
)
def test_unknown_platform_or_command(platform: str, command: str) -> None:
    with pytest.raises(ParseError):
        parse(platform, command, "anything")


@pytest.mark.parametrize(("platform", "command"), COMMANDS)
def test_blank_output(platform: str, command: str) -> None:
    """Blank IPsec output is no SAs; a blank neighbor table is no routes (FRR prints nothing
    for an Established neighbor with none, and collect asks only for Established ones); other
    blank BGP/route output (bgpd down) is an error."""
    if "ipsec" in command or "swanctl" in command:
        assert parse(platform, command, " \n") == []
    elif " neighbors " in command and command.endswith("routes"):
        assert parse(platform, command, "") == {"router_id": None, "local_as": None, "paths": []}
    else:
        with pytest.raises(ParseError):
            parse(platform, command, "")


def _cross_pairs() -> list[tuple[str, str, Path]]:
    """(platform, command, raw) where raw is real output of a command of another shape."""
    pairs = []
    for raw in GOOD:
        shape = lookup(raw.parent.parent.name, _doc(raw)["command"]).shape
        for platform, command in COMMANDS:
            if lookup(platform, command).shape != shape:
                pairs.append((platform, command, raw))
    return pairs


@pytest.mark.parametrize(
    ("platform", "command", "raw"),
    _cross_pairs(),
    ids=[f"{c}<-{r.relative_to(FIXTURES)}" for _, c, r in _cross_pairs()],
)
def test_other_commands_output_is_refused_or_empty(platform: str, command: str, raw: Path) -> None:
    """Feeding one command's real output to another parser never yields healthy records."""
    result = _parse_or_none(platform, command, raw.read_text())
    assert result is None or _healthy_count(result) == 0


# --- fuzzing --------------------------------------------------------------------------------

#: A table row that names a prefix (``*> 10.0.0.0/16``) or a summary row (``10.0.0.1   4 ...``).
ROW_WITH_ADDRESS = re.compile(r"^([*sdhrRS>= i]{3})?\d+\.\d+\.\d+\.\d+[/ ]")

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.sampled_from(COMMANDS), st.text(max_size=400))
def test_garbage_never_crashes(cmd: tuple[str, str], text: str) -> None:
    platform, command = cmd
    result = _parse_or_none(platform, command, text)
    assert result is None or _healthy_count(result) == 0 or isinstance(result, dict)


@FUZZ
@given(st.sampled_from(GOOD), st.data())
def test_truncated_output_never_gains_health(raw: Path, data: st.DataObject) -> None:
    """Any prefix of real output parses to an error or to no more health than the whole."""
    doc = _doc(raw)
    platform, text = raw.parent.parent.name, raw.read_text()
    cut = data.draw(st.integers(min_value=0, max_value=max(len(text) - 1, 0)))
    whole = _healthy_count(doc["expected"])
    result = _parse_or_none(platform, doc["command"], text[:cut])
    assert result is None or _healthy_count(result) <= whole


@FUZZ
@given(st.sampled_from(GOOD), st.data())
def test_corrupted_lines_never_crash(raw: Path, data: st.DataObject) -> None:
    """Real output with one line replaced by noise: records or ParseError, nothing else."""
    doc = _doc(raw)
    lines = raw.read_text().splitlines() or [""]
    i = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    lines[i] = data.draw(st.text(alphabet=st.characters(codec="ascii"), max_size=120))
    _parse_or_none(raw.parent.parent.name, doc["command"], "\n".join(lines) + "\n")


@FUZZ
@given(st.sampled_from([r for r in GOOD if "bgp" in r.parent.name]), st.data())
def test_bgp_table_missing_a_row_is_refused(raw: Path, data: st.DataObject) -> None:
    """A BGP table or summary that lost a whole prefix row disagrees with its footer."""
    doc = _doc(raw)
    lines = raw.read_text().splitlines(keepends=True)
    first_rows = [i for i, line in enumerate(lines) if ROW_WITH_ADDRESS.match(line)]
    if not first_rows:
        return
    i = data.draw(st.sampled_from(first_rows))
    cut = "".join(lines[:i] + lines[i + 1 :])
    result = _parse_or_none(raw.parent.parent.name, doc["command"], cut)
    if result is not None and "paths" in result:
        # the prefix lost only its first path: its continuation rows now name the prefix above
        assert len(result["paths"]) < len(doc["expected"]["paths"])
    else:
        assert result is None


# --- the default-route helper ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "protocol", "next_hops"),
    [
        ("frr/show_ip_route/r1_static_default", "static", ["10.255.77.14"]),
        ("frr/show_ip_route/r2_bgp_default", "bgp", ["10.255.77.1"]),
        ("frr/show_ip_route/r2_bgp_default_backup", "bgp", ["10.255.77.5"]),
        ("vyos/show_ip_route/vyos13_aws_vti", "static", ["10.1.1.1"]),
    ],
)
def test_active_default_route(case: str, protocol: str, next_hops: list[str]) -> None:
    raw = FIXTURES / f"{case}.raw"
    table = parse(raw.parent.parent.name, "show ip route", raw.read_text())
    route = active_default_route(table)
    assert route is not None
    assert (route["protocol"], route["next_hops"]) == (protocol, next_hops)


def test_no_default_route() -> None:
    assert active_default_route({"routes": []}) is None


@pytest.mark.parametrize(
    "case", ["frr/show_ip_bgp/r1_established", "frr/show_ip_bgp_summary/r1_admin_down"]
)
def test_sliced_run_equals_one_run(case: str) -> None:
    """Big tables go to TTP in slices; slicing must not change what is found."""
    raw = (FIXTURES / f"{case}.raw").read_text()
    template = PARSERS_DIR / "frr" / f"{Path(case).parent.name}.ttp"
    assert run_chunked(template, raw, chunk_lines=3) == run_template(template, raw)
