"""Load a script (a runbook or a bench, not a package module) so tests can call its ``main``."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from tasks import PROJECT_ROOT


def load_script(path: Path, name: str) -> ModuleType:
    """A fresh module of the Python file at ``path``, named ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_runbook(name: str) -> ModuleType:
    """``runbooks/<name>.py`` as a module named ``<name>_runbook``."""
    return load_script(PROJECT_ROOT / "runbooks" / f"{name}.py", f"{name}_runbook")
