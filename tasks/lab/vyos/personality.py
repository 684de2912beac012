"""What a VyOS image is, per version: its factory config and the wording that differs.

VyOS 1.3 (equuleus) and 1.4 (sagitta) run the same commands but print and ask differently;
each field of :class:`Personality` cites its row in ``../shared/vyos/BEHAVIOUR.md``. Kept apart
from the config tree (:mod:`tasks.lab.vyos.cli`) and the command interpreter
(:mod:`tasks.lab.vyos.session`) so both read one table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CONFIG_BOOT = "/config/config.boot"

#: One configured fact: the words after ``set``, unquoted (``("system", "host-name", "r1")``).
Entry = tuple[str, ...]

#: What a VyOS image ships with (its default config.boot has ``system config-management
#: commit-revisions 100``, which 1.3's commit-confirm needs: B2.1 ``commit-confirm``).
FACTORY = (
    "set interfaces ethernet eth0 address '198.51.100.10/24'",
    "set interfaces loopback lo",
    "set service ssh",
    "set system config-management commit-revisions '100'",
    "set system host-name 'vyos'",
    "set system syslog global facility all level 'info'",
)


@dataclass(frozen=True)
class Personality:
    """The wording and behaviour that differ between 1.3 and 1.4 (each field cites its row)."""

    version: str
    #: B2.1 ``compare`` no change: 1.3 without the period (vyatta-config-mgmt.pl:298), 1.4 with.
    no_changes: str
    #: B-App: 1.3 asks one keystroke ``[confirm]``; 1.4 reads a line ``[Y/n]``.
    confirm_question: str
    one_keystroke: bool
    #: B-App 1.4: printed once the timer is armed; 1.3 prints nothing more.
    armed: str
    #: B2.1 ``commit-confirm``: on 1.3 "Another confirm is pending" exits 0 and the commit
    #: runs anyway with no new timer; on 1.4 it exits 1 and nothing is committed.
    pending_commits_anyway: bool
    #: B2.1 ``confirm``: 1.3 prints nothing, 1.4 "Reboot timer stopped".
    timer_stopped: str
    #: B2.1 ``save``: 1.3 "Saving ... Done", 1.4 nothing at all on success.
    save_done: str
    #: B3: ``reset bgp`` exists only in 1.4; ``reset ip bgp`` in both.
    op_commands: tuple[str, ...]


V13 = Personality(
    version="1.3",
    no_changes="No changes between working and active configurations",
    confirm_question=(
        "commit confirm will be automatically reboot in {minutes} minutes unless confirmed\n"
        "Proceed? [confirm]"
    ),
    one_keystroke=True,
    armed="",
    pending_commits_anyway=True,
    timer_stopped="",
    save_done=f"Saving configuration to '{CONFIG_BOOT}'...\nDone",
    op_commands=(r"reset ip bgp \S+ soft out",),
)
V14 = Personality(
    version="1.4",
    no_changes="No changes between working and active configurations.",
    confirm_question=(
        "\ncommit-confirm will automatically reboot in {minutes} minutes unless changes\n"
        "are confirmed.\n\nProceed ? [Y/n] "
    ),
    one_keystroke=False,
    armed="Initialized commit-confirm; {minutes} minutes to confirm before reboot",
    pending_commits_anyway=False,
    timer_stopped="Reboot timer stopped",
    save_done="",
    op_commands=(r"reset ip bgp \S+ soft out", r"reset bgp \S+ soft out"),
)
PERSONALITIES = {"1.3": V13, "1.4": V14}


class Question:
    """An interactive question the CLI is waiting on: the next input answers it."""

    def __init__(self, text: str, one_keystroke: bool, then: Callable[[str], str]) -> None:
        self.text = text
        self.one_keystroke = one_keystroke
        self.then = then
