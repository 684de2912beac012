"""Drift: the running config against the rendered intended config, as a diff, secrets masked.

Both sides go through the same canonicaliser (VyOS: ``set`` lines from either form; FRR:
block-qualified lines per file), so ordering and quoting never show as drift. Only what this
toolkit manages is compared: intended lines missing from the router, and extra running lines
inside the managed subtrees (a hand-added ``set weight`` shows; the router's login does not).

Pre-shared keys are masked on both sides before comparison, so a key change is not drift
(``psk-default-or-reused`` judges keys) and a key can never appear in a diff.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from tasks.compliance import frr, vyos
from tasks.compliance.config import DeviceConfig
from tasks.secrets import redact


@dataclass(frozen=True)
class Drift:
    """What differs: counts for the finding, and the unified diff for people."""

    missing: int
    extra: int
    diff: str


def intended_lines(platform: str, rendered: dict[str, str]) -> dict[str, list[str]]:
    """Canonical lines of a rendered config (``tasks.render.render_router`` output)."""
    if platform == "vyos":
        text = "\n".join(rendered.values())
        return {"config": [ln for ln in vyos.canonical_lines(vyos.set_paths(text))]}
    files = group_frr_files(rendered)
    return {name: frr.canonical(name, text) for name, text in files.items()}


def group_frr_files(files: dict[str, str]) -> dict[str, str]:
    """Rendered/saved FRR file names to the keys the parser reads (swanctl files joined)."""
    grouped: dict[str, str] = {}
    swanctl = [files[n] for n in sorted(files) if n.startswith("swanctl")]
    if swanctl:
        grouped["swanctl"] = "\n".join(swanctl)
    for name, text in files.items():
        if not name.startswith("swanctl"):
            grouped[name] = text
    return grouped


def compare(running: DeviceConfig, intended: dict[str, list[str]]) -> Drift:
    """Diff the running config's canonical lines against the intended ones."""
    chunks: list[str] = []
    missing = extra = 0
    for name in sorted(intended):
        if name not in running.lines:
            continue
        want = set(intended[name])
        have = running.lines[name]
        if running.platform == "vyos":
            # Extra lines count only inside managed subtrees; rendered lines elsewhere (commit
            # revisions under `system`) are compared line by line.
            have = [ln for ln in have if vyos.managed(ln) or ln in want]
        want_set, have_set = set(want), set(have)
        missing += len(want_set - have_set)
        extra += len(have_set - want_set)
        if want_set != have_set:
            chunks.extend(
                difflib.unified_diff(
                    sorted(want_set),
                    sorted(have_set),
                    fromfile=f"intended/{name}",
                    tofile=f"running/{name}",
                    lineterm="",
                    n=1,
                )
            )
    return Drift(missing, extra, redact("\n".join(chunks)))
