"""`perplex chat`: an interactive conversation in the terminal, one exchange per message.

Each question goes through the same steps as `ask` (`run.Session.ask`): the earlier
complete turns as history, the streamed answer with its sources (rendered on a terminal,
as ask renders it), and the log. A message is a line, a pasted block, or lines joined by
a trailing backslash or a triple-quote block (`chat_input.py`). Ctrl-C during an answer
stops that answer (kept, logged as interrupted, counted as partial, left out of the
history) and returns to the prompt; Ctrl-C at the prompt clears the line; Ctrl-D leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perplex_cli import signals
from perplex_cli.cli.epilog import examples_epilog
from perplex_cli.cli.lazy import command_app
from perplex_cli.cli.options import CidOption, ContinueOption, shared_options
from perplex_cli.commands.chat_input import LineReader
from perplex_cli.commands.chat_tools import Turn
from perplex_cli.errors import Interrupted, UsageError
from perplex_cli.output.streams import current
from perplex_cli.request.conversation import Conversation
from perplex_cli.request.options import Options

if TYPE_CHECKING:
    from perplex_cli.api.stream import Outcome
    from perplex_cli.commands.session import Session

HISTORY_FILE = "chat_history"  # beside the log database

HELP = """\
/new           start a new conversation (same model and system message)
/model NAME    ask the next questions with another model (/model alone shows it)
/preset NAME   ask the next questions with an Agent API preset
/system TEXT   set the system message (/system alone removes it)
/attach FILE   attach a file or URL to the next question (/attach alone lists them)
/edit          write the next question in $EDITOR (starting from the last one)
/retry         ask the last question again
/copy          put the last answer on the clipboard (OSC 52)
/export FILE   write this conversation as Markdown, with its sources
/sources       the sources of the last answer
/usage         tokens and cost of the last answer and of this chat
/help          this list
/exit          leave (Ctrl-D does too)
A pasted block is one message. A line ending in \\ goes on with the next one; a line
that is only \"\"\" starts a block that another \"\"\" line ends. Tab completes commands.
Ctrl-C stops an answer. A line starting with // is sent with one slash.
"""
COMMANDS = [line.split()[0] for line in HELP.splitlines() if line.startswith("/")] + ["/quit"]


def run_chat(opts: Options, *, continue_last: bool = False, cid: str | None = None) -> None:
    from perplex_cli.commands.session import Session
    from perplex_cli.request.prompt import stdin_is_terminal

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
        self.last_question = ""
        self.answers = 0
        self.partial = 0  # answers stopped or cut part-way
        self.tokens = 0
        self.cost = 0.0
        self.turns = [Turn(q, a) for q, a in conversation.turns]  # for /export
        self.attached: list[str] = []
        self.reader = LineReader(
            session.log.path.parent / HISTORY_FILE if session.settings.log else None, COMMANDS
        )

    def run(self) -> None:
        self.reader.load()
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
                line = self.reader.read(f"{self.session.engine()}> ")
            except EOFError:
                self.write("\n")
                return
            except KeyboardInterrupt:
                self.write("\n")
                continue
            text = line.strip()
            if not text:
                continue
            if text.startswith("/") and not text.startswith("//"):
                if not self.command(text):
                    return
                continue
            self.turn(line[1:] if text.startswith("//") else line)

    def turn(self, prompt: str) -> None:
        from perplex_cli.api.chat_events import answer_and_reasoning, sources
        from perplex_cli.api.stream import warn_if_cut
        from perplex_cli.errors import PerplexError

        given = self.session.opts.attach  # chat -a FILE: with every question
        if self.attached:
            self.session.opts.attach = [*(given or []), *self.attached]
        self.last_question = prompt
        try:
            outcome = self.session.ask(self.conversation, prompt, self.session.formatter("text"))
        except KeyboardInterrupt:
            self.session.notice("perplex: interrupted before the answer started")
            return
        except PerplexError as exc:  # the request could not be made (an attachment, say)
            self.session.notice(f"perplex: error: {exc.message}")
            return
        finally:
            self.session.opts.attach = given
        self.attached = []
        self.last = outcome
        acc = outcome.acc
        usage = acc.usage or {}
        error = outcome.error
        if acc.events or error is None:
            self.answers += 1
            self.partial += error is not None
            self.turns.append(
                Turn(prompt, answer_and_reasoning(acc)[0], sources(acc.metadata), error is not None)
            )
        self.tokens += int(usage.get("total_tokens") or 0)
        self.cost += _cost(usage)
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
            self.turns = []
            self.write(f"new conversation {self.conversation.id}\n")
        elif name in ("/model", "/preset"):
            self._engine(name, arg)
        elif name == "/system":
            self.conversation.system = arg or None
            self.write("system message set\n" if arg else "system message removed\n")
        elif name == "/sources":
            self.write(self._sources() or "no sources\n")
        elif name == "/usage":
            self.write(self._usage())
        elif name in TOOLS:
            try:
                TOOLS[name](self, arg)
            except UsageError as exc:
                self.write(f"perplex: error: {exc.message}\n")
        else:
            self.write(f"unknown command {name}; /help lists them\n")
        return True

    def _sources(self) -> str:
        from perplex_cli.output.text import source_lines

        return "" if self.last is None else source_lines(self.last.acc.metadata)

    def _usage(self) -> str:
        lines = []
        if self.last is not None:
            u = self.last.acc.usage
            head = "last answer" if self.last.error is None else "last answer (partial)"
            if u:
                lines.append(
                    f"{head}: {u.get('prompt_tokens', 0)} in + {u.get('completion_tokens', 0)}"
                    f" out = {u.get('total_tokens', 0)} tokens, ${_cost(u):.4f}"
                )
            elif self.last.error is not None:
                lines.append(f"{head}: usage not reported")
        partial = f" ({self.partial} partial)" if self.partial else ""
        lines.append(
            f"this chat: {self.answers} answer{'' if self.answers == 1 else 's'}{partial},"
            f" {self.tokens} tokens, ${self.cost:.4f}{' so far' if self.partial else ''}"
        )
        return "".join(line + "\n" for line in lines)

    def _engine(self, name: str, arg: str) -> None:
        """/model NAME or /preset NAME: the engine of the next questions."""
        if arg:
            try:
                (self.session.use_model if name == "/model" else self.session.use_preset)(arg)
            except UsageError as exc:
                self.write(f"perplex: error: {exc.message}\n")
                return
        self.write(f"{name[1:]} {self.session.engine()} on the {self.session.api} API\n")

    def edit(self, arg: str) -> None:
        from perplex_cli.commands.chat_tools import edit

        question = edit(arg or self.last_question)
        if not question:
            self.write("empty question: nothing sent\n")
            return
        self.reader.add(question, joined=True)
        self.turn(question)

    def retry(self, arg: str) -> None:
        if not self.last_question:
            self.write("no question to ask again yet\n")
            return
        turns = self.conversation.turns
        if self.last is not None and self.last.error is None and turns:
            if turns[-1][0] == self.last_question:
                turns.pop()  # the answer being replaced leaves the history
            if self.turns and self.turns[-1].question == self.last_question:
                self.turns.pop()
        self.turn(self.last_question)

    def copy(self, arg: str) -> None:

        from perplex_cli.api.chat_events import answer_and_reasoning
        from perplex_cli.commands.chat_tools import copy

        if self.last is None:
            self.write("no answer to copy yet\n")
            return
        terminal = current().stdout if self.session.out_style.live else None
        self.write(copy(answer_and_reasoning(self.last.acc)[0], terminal))

    def export(self, arg: str) -> None:
        from perplex_cli.commands.chat_tools import export

        if not arg:
            raise UsageError("/export needs a file name: /export chat.md")
        path = Path(arg).expanduser()
        export(path, self.conversation.id, self.turns)
        self.write(f"wrote {len(self.turns)} questions and answers to {path}\n")

    def attach(self, arg: str) -> None:
        from perplex_cli.request.attach import content_part

        if arg:
            content_part(arg)  # refused now, by name, rather than with the next question
            self.attached.append(arg)
        listed = ", ".join(self.attached) or "none"
        self.write(f"attached to the next question: {listed}\n")

    def write(self, text: str) -> None:
        # Not the answer's stream: under --render that one is raw (rich draws its styles).
        self.session.plain_out.write(text)
        self.session.plain_out.flush()


TOOLS: dict[str, Callable[[Chat, str], None]] = {
    "/edit": Chat.edit,
    "/retry": Chat.retry,
    "/copy": Chat.copy,
    "/export": Chat.export,
    "/attach": Chat.attach,
}


def _cost(usage: dict[str, Any]) -> float:
    from perplex_cli.output.usage import total_cost

    return total_cost(usage.get("cost")) or 0.0


CHAT_EXAMPLES = examples_epilog(
    "  perplex chat",
    '  perplex chat -m sonar-pro -s "Be brief."',
    "  perplex chat -c   # go on with the latest conversation",
)


@shared_options(exclude=("--format", "--dry-run"))  # chat shows text and sends each question
def chat_command(
    continue_last: ContinueOption = False,
    cid: CidOption = None,
    *,
    opts: Options,
) -> None:
    """Talk with Perplexity in the terminal: line editing, history, /commands.

    In the chat /help lists the commands; Ctrl-C stops an answer, Ctrl-D leaves.
    """
    run_chat(opts, continue_last=continue_last, cid=cid)


app = command_app("chat", chat_command, epilog=CHAT_EXAMPLES)
