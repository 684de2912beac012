"""Render a router's intended configuration from ``templates/<platform>/``.

Each platform folder has a ``manifest.yaml`` naming the files it renders; per-tunnel files are
rendered once per tunnel. Pre-shared keys are masked unless ``reveal_secrets`` is set, which
only a deploy does, at the moment it needs them: a dry run never resolves a secret.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from nornir.core.exceptions import NornirSubTaskError
from nornir.core.task import Result, Task
from nornir_utils.plugins.tasks.files import write_file

from tasks import PROJECT_ROOT
from tasks.errors import RenderError, SecretError
from tasks.inventory import router_of
from tasks.model import Router
from tasks.model.ipsec import Proposal
from tasks.model.isp import HEALTH_SCAN_S, HEALTH_TOKEN
from tasks.secrets import MASK

log = logging.getLogger(__name__)

TEMPLATES_DIR = PROJECT_ROOT / "templates"

#: DH group number to strongSwan's name for it.
STRONGSWAN_DH = {
    2: "modp1024", 5: "modp1536", 14: "modp2048", 15: "modp3072", 16: "modp4096",
    17: "modp6144", 18: "modp8192", 19: "ecp256", 20: "ecp384", 21: "ecp521",
    22: "modp1024s160", 23: "modp2048s224", 24: "modp2048s256",
}  # fmt: skip


def ike_proposal(p: Proposal) -> str:
    """strongSwan IKE proposal; AEAD ciphers take a PRF instead of an integrity algorithm."""
    if p.encryption.endswith("gcm16"):
        return f"{p.encryption}-prf{p.integrity}-{STRONGSWAN_DH[p.dh_group]}"
    return f"{p.encryption}-{p.integrity}-{STRONGSWAN_DH[p.dh_group]}"


def esp_proposal(p: Proposal) -> str:
    """strongSwan ESP proposal with PFS in the same group."""
    if p.encryption.endswith("gcm16"):
        return f"{p.encryption}-{STRONGSWAN_DH[p.dh_group]}"
    return f"{p.encryption}-{p.integrity}-{STRONGSWAN_DH[p.dh_group]}"


@cache
def _environment(platform: str) -> Environment:
    folder = TEMPLATES_DIR / platform
    if not folder.is_dir():
        raise RenderError(f"no templates for platform {platform!r} (expected {folder})")
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["ike_proposal"] = ike_proposal
    env.filters["esp_proposal"] = esp_proposal
    env.globals["health_token"] = str(HEALTH_TOKEN)
    env.globals["health_scan_s"] = HEALTH_SCAN_S
    return env


@cache
def manifest(platform: str) -> list[dict[str, Any]]:
    """The files a platform renders, from ``templates/<platform>/manifest.yaml``."""
    path = TEMPLATES_DIR / platform / "manifest.yaml"
    try:
        files = yaml.safe_load(path.read_text(encoding="utf-8"))["files"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise RenderError(f"cannot read template manifest {path}: {exc}") from exc
    return list(files)


def psk_values(router: Router, reveal_secrets: bool) -> dict[str, str]:
    """Tunnel name to pre-shared key: resolved only when revealing, else the mask."""
    if not reveal_secrets:
        return {t.name: MASK for t in router.tunnels}
    values = {}
    for tunnel in router.tunnels:
        try:
            values[tunnel.name] = tunnel.psk.resolve()
        except SecretError as exc:
            raise SecretError(f"{router.name}: tunnels[{tunnel.name}].psk: {exc}") from exc
    return values


def render_router(router: Router, reveal_secrets: bool = False) -> dict[str, str]:
    """Render every file of a router's platform; returns output path to text, in order.

    Raises:
        RenderError: a template is missing or fails on this router's data.
        SecretError: ``reveal_secrets`` is set and a pre-shared key cannot be resolved.
    """
    env = _environment(router.platform)
    context = {"r": router, "psk": psk_values(router, reveal_secrets)}
    rendered: dict[str, str] = {}
    for entry in manifest(router.platform):
        try:
            template = env.get_template(entry["template"])
            if entry.get("per_tunnel"):
                for tunnel in router.tunnels:
                    out = entry["output"].format(tunnel=tunnel.name)
                    rendered[out] = template.render(context, t=tunnel)
            else:
                rendered[entry["output"]] = template.render(context)
        except TemplateError as exc:
            raise RenderError(
                f"{router.name}: template {router.platform}/{entry['template']} failed: {exc}"
            ) from exc
    log.debug("%s: rendered %d file(s)", router.name, len(rendered))
    return rendered


def as_text(files: dict[str, str]) -> str:
    """One readable block per file, for a terminal or a golden file."""
    if len(files) == 1:
        return next(iter(files.values()))
    return "".join(f"### {name}\n{body.rstrip()}\n" for name, body in files.items())


def render_config(task: Task, reveal_secrets: bool = False) -> Result:
    """Nornir task: render the host's intended config; ``result`` is path -> text."""
    files = render_router(router_of(task.host), reveal_secrets=reveal_secrets)
    return Result(host=task.host, result=files, changed=False)


def write_files(files: dict[str, str], directory: Path) -> list[Path]:
    """Write rendered files under ``directory`` (subfolders made); returns the paths written.

    For code outside a Nornir run (tests, benchmarks); a runbook uses :func:`write_rendered`.
    """
    written = []
    for name, body in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


def write_rendered(task: Task, directory: Path, dry_run: bool | None = None) -> Result:
    """Nornir task: render the host's config into ``directory/<host>/`` (keys masked).

    Each file is written by nornir_utils' ``write_file`` subtask, so each has a unified diff
    against what the folder held and ``changed`` only when it differs, and a dry run writes
    nothing. ``result`` is path -> text, as :func:`render_config`'s; ``changed`` and ``diff``
    sum up the files.

    Raises:
        RenderError: a template fails, or a file cannot be written.
    """
    files = render_router(router_of(task.host))
    folder = directory / task.host.name
    diffs = []
    changed = False
    for name, body in files.items():
        target = folder / name
        try:
            if not task.is_dry_run(dry_run):
                target.parent.mkdir(parents=True, exist_ok=True)
            written = task.run(
                task=write_file,
                name=f"write {name}",
                filename=str(target),
                content=body,
                dry_run=dry_run,
                severity_level=logging.DEBUG,
            )
        except (NornirSubTaskError, OSError) as exc:
            cause = exc.result[0].exception if isinstance(exc, NornirSubTaskError) else exc
            raise RenderError(f"{task.host.name}: cannot write {target}: {cause}") from exc
        changed = changed or written.changed
        if written[0].diff:
            diffs.append(written[0].diff)
    return Result(host=task.host, result=files, changed=changed, diff="\n".join(diffs))
