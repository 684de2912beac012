"""One exception family for the toolkit.

Every error a runbook can meet derives from :class:`ToolkitError`, so a runbook catches one
type, reports it and exits; third-party errors are re-raised as one of these ``from`` the
original so the cause stays visible in logs.
"""

from __future__ import annotations

from dataclasses import dataclass


class ToolkitError(Exception):
    """Root of every error raised on purpose by this toolkit."""


@dataclass(frozen=True)
class InventoryProblem:
    """One broken rule in the inventory: where it is, what it holds, and what is wrong."""

    host: str
    field: str
    value: object
    rule: str

    def __str__(self) -> str:
        return f"{self.host}: {self.field} = {self.value!r}: {self.rule}"


class InventoryError(ToolkitError):
    """The inventory breaks one or more rules; raised before any device is touched.

    Carries every problem found, not just the first, so an operator fixes them in one pass.
    """

    def __init__(self, problems: list[InventoryProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"inventory has {len(problems)} problem(s):\n{lines}")


class SecretError(ToolkitError):
    """A secret reference could not be resolved (missing variable, file, or parameter)."""


class RenderError(ToolkitError):
    """A template could not be rendered for a host."""


class ParseError(ToolkitError):
    """Device output could not be parsed into records: the caller must treat it as unknown."""


class DriverError(ToolkitError):
    """A platform driver failed to talk to or change a device."""
