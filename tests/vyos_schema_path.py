"""Where VyOS's configuration schema and its checker live, for tests: ``../shared/vyos-schema``.

Not copied into the project: ``vyos_schema.py`` carries no licence statement and the JSON trees
are derived from GPL-2.0-or-later VyOS sources, which its README asks to keep under ``shared/``
as data with their provenance. CI runs in a fresh clone with ``shared/`` beside it, so the
folder is found relative to the repository, never the working directory; ``VYOS_SCHEMA_DIR``
overrides it. A missing schema fails the tests that need it (it is not a skip): a green run
must mean the templates were checked.
"""

from __future__ import annotations

import importlib
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
    if str(SCHEMA_DIR) not in sys.path:
        sys.path.insert(0, str(SCHEMA_DIR))
    return importlib.import_module("vyos_schema")


@cache
def schema(version: str) -> dict[str, Any]:
    """VyOS ``version``'s (``1.3``, ``1.4``) configuration tree, loaded once."""
    return checker().load_schema(SCHEMA_DIR / f"vyos-{version}.json")  # type: ignore[no-any-return]


def invalid_lines(version: str, lines: list[str]) -> list[str]:
    """The lines VyOS ``version`` would refuse, each with the checker's reason."""
    findings = checker().check_lines(schema(version), lines)
    return [f"{f.line}: {f.status}: {f.detail}" for f in findings if f.status in INVALID]
