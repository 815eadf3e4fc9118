"""`perplex chat`: an interactive conversation in the terminal, one exchange per line typed.

Each question goes through the same steps as `ask` (`run.Session.ask`): the earlier
complete turns as history, the streamed answer with its sources, and the log. Ctrl-C
during an answer stops that answer (kept, logged as interrupted, left out of the history)
and returns to the prompt; Ctrl-C at the prompt clears the line; Ctrl-D leaves.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import signals
from .conversation import Conversation
from .errors import Interrupted, UsageError
from .options import Options

if TYPE_CHECKING:
    from .ask import Outcome
    from .run import Session

HISTORY_FILE = "chat_history"  # beside the log database
HISTORY_LINES = 1000

HELP = """\
/new           start a new conversation (same model and system message)
/model NAME    ask the next questions with another model (/model alone shows it)
/system TEXT   set the system message (/system alone removes it)
/sources       the sources of the last answer
/usage         tokens and cost of the last answer and of this chat
/help          this list
/exit          leave (Ctrl-D does too)
Ctrl-C stops an answer. A line starting with // is sent with one slash.
"""


def run_chat(opts: Options, *, continue_last: bool = False, cid: str | None = None) -> None:
    from .prompt import stdin_is_terminal
    from .run import Session

    session = Session(opts)  # the options are checked first, terminal or not
    try:
        if not stdin_is_terminal():
            raise UsageError(
                "chat needs a terminal on stdin",
                hint='for questions from a script or a pipe use: perplex ask "question"',
            )
        chat = Chat(session, session.conversation(continue_last=continue_last, cid=cid))
        session.connect()
        chat.run()
    finally:
        session.close()


class Chat:
    """The read-answer loop and its slash commands."""

    def __init__(self, session: Session, conversation: Conversation) -> None:
        self.session = session
        self.conversation = conversation
        self.last: Outcome | None = None
        self.answers = 0
        self.tokens = 0
        self.cost = 0.0
        self.history = LineHistory(
            session.log.path.parent / HISTORY_FILE if session.settings.log else None
        )

    def run(self) -> None:
        self.history.load()
        turns = len(self.conversation.turns)
        continued = (
            f", continuing after {turns} earlier turn{'' if turns == 1 else 's'}" if turns else ""
        )
        self.session.notice(
            f"perplex chat: {self.session.engine()} on the {self.session.api} API, conversation {self.conversation.id}"
            f"{continued}. /help for commands, Ctrl-D to leave."
        )
        while True:
            if signals.received():  # SIGTERM or SIGHUP: the answer is kept, the chat ends
                raise Interrupted()
            try:
                line = input(f"{self.session.engine()}> ")
            except EOFError:
                self.write("\n")
                return
            except KeyboardInterrupt:
                self.write("\n")
                continue
            self.history.add(line)
            text = line.strip()
            if not text:
                continue
            if text.startswith("/") and not text.startswith("//"):
                if not self.command(text):
                    return
                continue
            self.turn(line[1:] if text.startswith("//") else line)

    def turn(self, prompt: str) -> None:
        from .ask import warn_if_cut

        try:
            outcome = self.session.ask(self.conversation, prompt, self.session.formatter("text"))
        except KeyboardInterrupt:
            self.session.notice("perplex: interrupted before the answer started")
            return
        self.last = outcome
        usage = outcome.acc.usage or {}
        self.answers += 1
        self.tokens += int(usage.get("total_tokens") or 0)
        self.cost += _cost(usage)
        error = outcome.error
        if isinstance(error, Interrupted):
            self.session.notice(
                "perplex: answer stopped; it is kept in the log, not in the conversation"
            )
        elif error is not None:
            self.session.notice(f"perplex: error: {error.message}")
            if error.hint:
                self.session.notice(f"perplex: hint: {error.hint}")
        else:
            warn_if_cut(outcome.acc, self.session.err, self.session.settings.quiet)
        self.write("\n")

    def command(self, text: str) -> bool:
        """Run one /command; False means leave."""
        name, _, arg = text.partition(" ")
        arg = arg.strip()
        if name in ("/exit", "/quit"):
            return False
        if name == "/help":
            self.write(HELP)
        elif name == "/new":
            self.conversation = Conversation(system=self.conversation.system)
            self.last = None
            self.write(f"new conversation {self.conversation.id}\n")
        elif name == "/model":
            if arg:
                self.session.use_model(arg)
            self.write(f"model {self.session.engine()}\n")
        elif name == "/system":
            self.conversation.system = arg or None
            self.write("system message set\n" if arg else "system message removed\n")
        elif name == "/sources":
            self.write(self._sources() or "no sources\n")
        elif name == "/usage":
            self.write(self._usage())
        else:
            self.write(f"unknown command {name}; /help lists them\n")
        return True

    def _sources(self) -> str:
        from .output.text import source_lines

        return "" if self.last is None else source_lines(self.last.acc.metadata)

    def _usage(self) -> str:
        lines = []
        if self.last is not None and self.last.acc.usage:
            u = self.last.acc.usage
            lines.append(
                f"last answer: {u.get('prompt_tokens', 0)} in + {u.get('completion_tokens', 0)} out"
                f" = {u.get('total_tokens', 0)} tokens, ${_cost(u):.4f}"
            )
        lines.append(f"this chat: {self.answers} answers, {self.tokens} tokens, ${self.cost:.4f}")
        return "".join(line + "\n" for line in lines)

    def write(self, text: str) -> None:
        # Not the answer's stream: under --render that one is raw (rich draws its styles).
        self.session.plain_out.write(text)
        self.session.plain_out.flush()


def _cost(usage: dict[str, Any]) -> float:
    from .store import total_cost

    return total_cost(usage) or 0.0


class LineHistory:
    """readline line editing; the history in a 0600 file beside the log (none with --no-log)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.readline: Any = None

    def load(self) -> None:
        try:
            import readline
        except ImportError:  # no readline on this platform: plain input still works
            return
        self.readline = readline
        readline.set_history_length(HISTORY_LINES)
        if self.path is None:
            return
        from .store import create_private_file

        try:
            create_private_file(self.path)
            readline.read_history_file(str(self.path))
            readline.write_history_file(str(self.path))  # trimmed to HISTORY_LINES
        except OSError:
            self.path = None  # a history that cannot be kept is no reason to refuse a chat

    def add(self, line: str) -> None:
        """Save the line at once, so that a killed chat keeps its history."""
        if self.readline is None or self.path is None or not line.strip():
            return
        try:
            append = getattr(self.readline, "append_history_file", None)
            if append is not None:
                append(1, str(self.path))
            else:
                self.readline.write_history_file(str(self.path))
        except OSError:
            self.path = None
