"""The VyOS terminal, transport-neutral: echo, prompts and interactive questions over two callables.

One implementation for every VyOS stand-in (issue 16: one stand-in, not two): the scripted
test device feeds it a paramiko channel, the lab router's login shell (:mod:`tasks.lab.vyos.shell`)
a pty in raw mode. Either way there is no line discipline in between, so this class does what
VyOS's terminal shows:

- echo of each keystroke, ``\\r\\n`` line ends; backspace erases, Ctrl-C abandons the line,
  Ctrl-D on an empty line logs out;
- op mode prompt ``<user>@<host>:~$ `` (``#`` with ``root_prompt``: the prompt that fools
  netmiko's ``check_config_mode``); configure mode ``[edit]`` + ``<user>@<host># ``
  (BEHAVIOUR.md B2.1 ``configure``);
- a question (commit-confirm's ``Proceed?``) is answered by the next input: one keystroke on
  1.3 (IO::Prompt ``-1``: the rest of the line is then read as a new, empty command, as on
  VyOS), a whole line on 1.4 (``ask_yes_no``).

The command itself is the :class:`~tasks.lab.vyos.session.Session`'s business.
"""

from __future__ import annotations

from collections.abc import Callable

from tasks.lab.vyos.personality import Question
from tasks.lab.vyos.session import Session

#: Reads what the other side sent (b"" at end of input); writes bytes to it.
Read = Callable[[], bytes]
Write = Callable[[bytes], None]

_ERASE = (b"\x7f", b"\x08")


class Terminal:
    """One VyOS login on a byte stream. Subclasses may :meth:`intercept` lines (test faults)."""

    def __init__(
        self,
        session: Session,
        read: Read,
        write: Write,
        user: str = "vyos",
        host: str = "vyos",
        root_prompt: bool = False,
        banner: str = "",
    ) -> None:
        self.session = session
        self.read = read
        self.write = write
        self.user = user
        self.host = host
        self.root_prompt = root_prompt
        self.banner = banner
        self.pending = b""
        self.skip_lf = False

    # ---- prompts ---------------------------------------------------------------------------
    @property
    def op_prompt(self) -> str:
        return f"{self.user}@{self.host}:~{'#' if self.root_prompt else '$'} "

    @property
    def config_prompt(self) -> str:
        return f"[edit]\r\n{self.user}@{self.host}# "

    def prompt(self) -> str:
        return self.config_prompt if self.session.in_config else self.op_prompt

    # ---- the loop --------------------------------------------------------------------------
    def run(self) -> None:
        """Serve the login until ``exit`` in op mode or the end of input."""
        self.write((self.banner.replace("\n", "\r\n") + self.prompt()).encode())
        while True:
            question = self.session.question
            line = self.readchar() if question and question.one_keystroke else self.readline()
            if line is None:
                return
            answer = self.intercept(line, question)
            close = False
            if answer is None:
                answer, close = self.session.answer(line)
            if answer:
                self.write((answer.replace("\n", "\r\n") + "\r\n").encode())
            if close:
                return
            if self.session.question is not None:
                self.write(self.session.question.text.replace("\n", "\r\n").encode())
                continue
            self.write(self.prompt().encode())

    def intercept(self, line: str, question: Question | None) -> str | None:
        """A hook before the session sees ``line``: an answer in its place, or None."""
        return None

    # ---- input -----------------------------------------------------------------------------
    def _fill(self) -> bool:
        data = self.read()
        if not data:
            return False
        self.pending += data
        return True

    def readchar(self) -> str | None:
        """One keystroke (1.3's ``[confirm]``); the rest of the line stays unread."""
        while not self.pending:
            if not self._fill():
                return None
        char, self.pending = self.pending[:1], self.pending[1:]
        self.write(char + b"\r\n")
        return "" if char in (b"\r", b"\n") else char.decode(errors="replace")

    def readline(self) -> str | None:
        """One line, echoed as typed; ``\\r``, ``\\n`` and ``\\r\\n`` end it."""
        line = b""
        while True:
            if not self.pending and not self._fill():
                return None
            echo = b""
            while self.pending:
                char, self.pending = self.pending[:1], self.pending[1:]
                if self.skip_lf:
                    self.skip_lf = False
                    if char == b"\n":
                        continue
                if char in (b"\r", b"\n"):
                    self.skip_lf = char == b"\r"
                    self.write(echo + b"\r\n")
                    return line.decode(errors="replace")
                if char in _ERASE:
                    if line:
                        line, echo = line[:-1], echo + b"\b \b"
                elif char == b"\x03":  # Ctrl-C: the line is abandoned
                    self.write(echo + b"^C\r\n")
                    return ""
                elif char == b"\x04":  # Ctrl-D: logout on an empty line, else ignored
                    if not line:
                        self.write(echo + b"\r\n")
                        return "exit" if not self.session.in_config else ""
                else:
                    line, echo = line + char, echo + char
            self.write(echo)
