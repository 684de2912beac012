"""A stand-in for SSM Run Command in the lab: the agent's commands run in the VPC namespace.

:class:`tasks.observers.ssm.SsmObserver` talks to an SSM client; in the lab this object takes
that client's place, with the three calls the observer makes (``send_command`` with
``AWS-RunShellScript``, ``get_command_invocation``, ``cancel_command``), so the very same
commands (the agent script written to a temporary file and run) execute on the lab's VPC host
instead of an EC2 instance. Nothing here talks to AWS.
"""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any


class InvocationDoesNotExist(Exception):
    """The name SSM's client raises before an invocation is registered."""


class LabRunCommand:
    exceptions = SimpleNamespace(InvocationDoesNotExist=InvocationDoesNotExist)

    def __init__(self, vpc_ns: str) -> None:
        self.vpc_ns = vpc_ns
        self.runs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
        self.cancelled: list[str] = []

    def send_command(self, InstanceIds: list[str], DocumentName: str,
                     Parameters: dict[str, list[str]], **_: Any) -> dict[str, Any]:  # fmt: skip
        if DocumentName != "AWS-RunShellScript":
            raise ValueError(f"the lab runs AWS-RunShellScript only, not {DocumentName}")
        script = "\n".join(Parameters["commands"]) + "\n"
        out = Path(tempfile.mkstemp(prefix="vha-ssm-", suffix=".out")[1])
        with out.open("wb") as handle:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.vpc_ns, "sh", "-c", script],
                stdout=handle, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        command_id = str(uuid.uuid4())
        self.runs[command_id] = (proc, out)
        return {"Command": {"CommandId": command_id}}

    def get_command_invocation(self, CommandId: str, InstanceId: str) -> dict[str, Any]:
        proc, out = self.runs[CommandId]
        rc = proc.poll()
        if rc is None:
            return {"Status": "InProgress", "StandardOutputContent": ""}
        status = (
            "Cancelled" if CommandId in self.cancelled else ("Success" if rc == 0 else "Failed")
        )
        return {"Status": status, "StandardOutputContent": out.read_text(encoding="utf-8")}

    def cancel_command(self, CommandId: str, InstanceIds: list[str]) -> dict[str, Any]:
        proc, _ = self.runs[CommandId]
        self.cancelled.append(CommandId)
        proc.terminate()
        proc.wait(timeout=5)
        return {}

    def close(self) -> None:
        """Stop what still runs (by its own PID) and remove the output files."""
        for proc, out in self.runs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=5)
            out.unlink(missing_ok=True)
