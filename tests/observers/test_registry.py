"""Observers are found by kind; the product never imports the lab (issue 14, REDESIGN 3.2)."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tasks import PROJECT_ROOT
from tasks.observers import ObserverError, check_kind, kind_of, known_kinds

TASKS = PROJECT_ROOT / "tasks"


def lab_imports(path: str) -> list[str]:
    tree = ast.parse((TASKS / path).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        found += [n for n in names if n == "tasks.lab" or n.startswith("tasks.lab.")]
    return found


def test_product_code_never_imports_the_lab() -> None:
    offenders = {
        str(p.relative_to(TASKS)): lab_imports(str(p.relative_to(TASKS)))
        for p in TASKS.rglob("*.py")
        if "lab" not in p.relative_to(TASKS).parts[:1]
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    seen = lab_imports("lab/observer.py")  # the lab's own observer: the detector sees them
    assert "tasks.lab.handle.Lab" in seen and "tasks.lab.preflight" in seen, seen


def test_a_fresh_process_finds_the_lab_kind_through_the_entry_point() -> None:
    code = (
        "import sys; from tasks.observers import known_kinds; k = known_kinds(); print(','.join(k))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True, cwd=PROJECT_ROOT)  # fmt: skip
    assert proc.stdout.strip() == "counters,lab,ssm"


def test_default_kind_and_refusal() -> None:
    assert kind_of(None) == kind_of({}) == kind_of({"window": 3}) == "counters"
    assert set(known_kinds()) >= {"counters", "ssm", "lab"}
    with pytest.raises(ObserverError, match=r"'nope'.*known kinds: counters, lab, ssm"):
        check_kind({"kind": "nope"})
