"""Where VyOS's configuration schema and its checker live: ``../shared/vyos-schema``.

Read by the lab's VyOS personality (:mod:`tasks.lab.vyos.cli` walks every ``set`` down it) and
by the template tests.

Not copied into the project: ``vyos_schema.py`` carries no licence statement and the JSON trees
are derived from GPL-2.0-or-later VyOS sources, which its README asks to keep under ``shared/``
as data with their provenance. CI runs in a fresh clone with ``shared/`` beside it, so the
folder is found relative to the repository, never the working directory; ``VYOS_SCHEMA_DIR``
overrides it. A missing schema fails the tests that need it (it is not a skip): a green run
must mean the templates were checked.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from tasks import PROJECT_ROOT

SCHEMA_DIR = Path(os.environ.get("VYOS_SCHEMA_DIR", PROJECT_ROOT.parent / "shared" / "vyos-schema"))
#: The checker's verdicts that mean VyOS would refuse the line.
INVALID = frozenset({"unknown-path", "bad-value", "needs-value", "valueless"})


def checker() -> ModuleType:
    """The ``vyos_schema`` module of :data:`SCHEMA_DIR`."""
    if not (SCHEMA_DIR / "vyos_schema.py").is_file():
        raise AssertionError(
            f"VyOS schema checker not found at {SCHEMA_DIR} (set VYOS_SCHEMA_DIR to the "
            "shared/vyos-schema folder)"
        )
    loaded = sys.modules.get("vyos_schema")
    if loaded is not None:
        return loaded
    # Imported from its file, not by putting SCHEMA_DIR on sys.path: the folder is outside the
    # repository (and VYOS_SCHEMA_DIR may move it), so pytest's `pythonpath` cannot name it.
    spec = importlib.util.spec_from_file_location("vyos_schema", SCHEMA_DIR / "vyos_schema.py")
    assert spec is not None and spec.loader is not None, SCHEMA_DIR
    module = importlib.util.module_from_spec(spec)
    sys.modules["vyos_schema"] = module  # before running it: its dataclasses look it up
    spec.loader.exec_module(module)
    return module


@cache
def schema(version: str) -> dict[str, Any]:
    """VyOS ``version``'s (``1.3``, ``1.4``) configuration tree, loaded once."""
    return checker().load_schema(SCHEMA_DIR / f"vyos-{version}.json")


def invalid_lines(version: str, lines: list[str]) -> list[str]:
    """The lines VyOS ``version`` would refuse, each with the checker's reason."""
    findings = checker().check_lines(schema(version), lines)
    return [f"{f.line}: {f.status}: {f.detail}" for f in findings if f.status in INVALID]
