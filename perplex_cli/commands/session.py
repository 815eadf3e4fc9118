"""What `ask` and `chat` do once argv is parsed: conversation, request, stream, output, log.

A `Session` holds what stays the same between the questions of one run (settings, API,
key, transport, log). `Session.ask` is one exchange: the messages (system, earlier turns,
the new question), the request on the chosen API, the answer (streamed, or one document
with --no-stream) through a formatter, and the log record, written after the answer from
the same accumulator.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from perplex_cli.local.records import keyfree, loggable_request
from perplex_cli.output.streams import current
from perplex_cli.request.conversation import Conversation
from perplex_cli.request.options import Options
from perplex_cli.request.settings import resolve
from perplex_cli.transport.connect import open_transport

if TYPE_CHECKING:
    from perplex_cli.api.answer_text import Update
    from perplex_cli.api.chat_events import Accumulator
    from perplex_cli.api.resume import Resume
    from perplex_cli.api.stream import Outcome
    from perplex_cli.output.formatter import Formatter
    from perplex_cli.output.spinner import Spinner
    from perplex_cli.transport.client import Transport

# The options that choose the API and the engine.
ENGINE_OPTIONS = ("api", "model", "preset")


def run_ask(
    words: list[str],
    opts: Options,
    *,
    ignore_stdin: bool = False,
    continue_last: bool = False,
    cid: str | None = None,
) -> None:
    from perplex_cli.api.stream import warn_if_cut
    from perplex_cli.errors import UsageError
    from perplex_cli.request.prompt import build_prompt

    session = Session(opts)
    opts = session.opts
    try:
        conversation = session.conversation(continue_last=continue_last, cid=cid)
        key_on_stdin = session.settings.stdin_key is not None  # resolve read it already
        if key_on_stdin and words == ["-"]:
            raise UsageError("stdin cannot hold both the key (--api-key-file -) and the prompt (-)")
        prompt = build_prompt(words, ignore_stdin=ignore_stdin or key_on_stdin)
        session.connect()
        if opts.dry_run:
            session.show_request(conversation, prompt)
            return
        outcome = session.ask(conversation, prompt, session.formatter())
    finally:
        session.close()
    if outcome.error is not None:
        raise outcome.error
    warn_if_cut(outcome.acc, session.err, session.settings.quiet)


class Session:
    """Settings, API, key, transport and log, shared by the questions of one run."""

    def __init__(self, opts: Options) -> None:
        from perplex_cli.api.agent_request import choose_api
        from perplex_cli.api.protocol import protocol_for
        from perplex_cli.local.store import Log, log_path
        from perplex_cli.output.style import decide
        from perplex_cli.output.terminal import guard
        from perplex_cli.request.values import validate

        # What the command line itself says of the engine: a continued conversation keeps
        # its own unless one of these flags chooses another.
        self.flags = {name: getattr(opts, name) for name in ENGINE_OPTIONS}
        self.settings = resolve(opts)
        self.opts = opts = self.settings.options  # with the environment's and config's values
        validate(opts)
        self.protocol = protocol_for(choose_api(opts, self.settings))
        self.protocol.check(opts, self.settings)
        raw_out = current().stdout
        self.raw_err = current().stderr
        quiet, no_color = self.settings.quiet, self.settings.no_color
        self.out_style = decide(raw_out, no_color=no_color, quiet=quiet)
        self.err_style = decide(self.raw_err, no_color=no_color, quiet=quiet)
        # Web text reaches a terminal neutralised: through a guarded stream, or, when the
        # answer is rendered, by the renderer itself, which needs the raw stream for its own
        # styles. The spinner writes its own escapes to the raw stderr.
        self.plain_out = guard(raw_out)  # for text of ours that quotes the web (chat's /sources)
        self.out = raw_out if self.renders else self.plain_out
        self.err = guard(self.raw_err)
        self.spinner: Spinner | None = None
        self.log = Log(log_path(), enabled=self.settings.log, warn=self.notice)
        self.key: str | None = None
        self.transport: Transport | None = None

    @property
    def renders(self) -> bool:
        """Whether text answers are rendered Markdown: with --render wherever colour is
        allowed, by default only on a terminal (never into a pipe), never with --plain."""
        if self.settings.format != "text" or not self.out_style.styled:
            return False
        render = self.settings.render
        return self.out_style.live if render is None else render

    def notice(self, line: str) -> None:
        """A diagnostic line on stderr (on its own line beside a spinner), unless -q."""
        from perplex_cli.output.terminal import say

        if self.spinner is not None:
            self.spinner.say(line)
        elif not self.settings.quiet:
            say(self.err, line)

    def conversation(self, *, continue_last: bool = False, cid: str | None = None) -> Conversation:
        """A new conversation, or the one -c/--cid names from the log (unknown: exit 2)."""
        from perplex_cli.errors import UsageError

        if continue_last and cid is not None:
            raise UsageError("-c/--continue and --cid both choose a conversation: give one")
        if continue_last or cid is not None:
            from perplex_cli.api.protocol import continued

            found = self.log.conversation(cid)
            # On the API and engine it used, unless a flag now says otherwise.
            self.protocol = continued(
                found.request, self.flags, self.protocol, self.opts, self.settings
            )
        else:
            found = Conversation()
        if self.opts.system is not None:
            found.system = self.opts.system or None
        return found

    def use_model(self, name: str) -> None:
        """Ask the next questions with this model (as -m NAME would, instead of a preset)."""
        self.settings.model = self.opts.model = name
        self.opts.preset = None

    def use_preset(self, name: str) -> None:
        """Ask the next questions with this Agent API preset (as --preset NAME would)."""
        from perplex_cli.errors import UsageError

        if self.api != "agent":
            raise UsageError(
                f"a preset needs the agent API; this chat asks the {self.api} API"
                " (start it with --api agent)"
            )
        self.opts.model, self.opts.preset = None, name

    @property
    def api(self) -> str:
        """The API this session asks: "chat" or "agent"."""
        return self.protocol.name

    def engine(self) -> str:
        """The model or preset the next question goes to, as a short label."""
        from perplex_cli.api.protocol import engine_label

        return engine_label(self.api, self.opts, self.settings)

    def connect(self) -> None:
        """Find the key and open the transport (exit 3 without a key, unless a dry run)."""
        self.transport = open_transport(
            self.settings, self.err, need_key=not self.opts.dry_run, on_retry=self.notice
        )
        self.key = self.transport.settings.api_key

    def formatter(self, name: str | None = None) -> Formatter:
        from perplex_cli.output import make_formatter

        return make_formatter(
            name or self.settings.format,
            self.out,
            self.err,
            citations=not self.settings.no_citations,
            markers=not self.settings.no_markers,
            extras=tuple(k for k in ("related_questions", "images") if getattr(self.opts, k)),
            reasoning=self.settings.reasoning,
            render=self.out_style if self.renders else None,
        )

    def shows(self, update: Update) -> bool:
        """Whether the formatter prints something for this event (the spinner must go)."""
        return self.settings.format == "ndjson" or bool(
            update.answer or (self.settings.reasoning and update.reasoning)
        )

    def request(
        self, conversation: Conversation, prompt: str
    ) -> tuple[str, dict[str, Any], Accumulator]:
        """Path, body and accumulator of the next question in this conversation."""
        from perplex_cli.api.chat_request import build_messages

        asked = replace(self.opts, system=conversation.system)
        messages = build_messages(prompt, asked, conversation.history())
        body = self.protocol.body(messages, asked, self.settings, stream=not asked.no_stream)
        return self.protocol.path, body, self.protocol.accumulator()

    def show_request(self, conversation: Conversation, prompt: str) -> None:
        """--dry-run: print the request instead of sending it (nothing is logged)."""
        from perplex_cli.request.dry_run import show_request

        assert self.transport is not None, "connect() first"
        path, body, _ = self.request(conversation, prompt)
        stream = body.get("stream") is True
        show_request(
            self.out,
            self.settings.format,
            "POST",
            self.transport.url(path),
            self.transport.headers(stream),
            body,
            [self.key],
        )

    def ask(self, conversation: Conversation, prompt: str, formatter: Formatter) -> Outcome:
        """One exchange: send, read through formatter, log; a complete turn joins the history.

        API and network failures come back in the outcome; Ctrl-C before the answer starts
        and a closed stdout are raised, after the exchange is logged.
        """
        from perplex_cli.api.stream import Outcome
        from perplex_cli.errors import Interrupted, PerplexError
        from perplex_cli.output.spinner import Spinner, until_first_output

        assert self.transport is not None, "connect() first"
        _, body, acc = self.request(conversation, prompt)
        stream = body.get("stream") is True  # -o stream=false is --no-stream too
        if self.err_style.live:
            self.spinner = Spinner(self.raw_err)  # from the request until the first output
        clock = Clock(until_first_output(formatter, self.spinner, self.shows))
        try:
            response = self.protocol.send(self.transport, body, stream=stream)
            outcome = self.protocol.read(
                response, clock, acc, stream=stream, resume=self.resume(acc)
            )
        except PerplexError as exc:
            outcome = Outcome(acc, exc)
        except BaseException as exc:
            failure = Interrupted() if isinstance(exc, KeyboardInterrupt) else None
            self._record(conversation, prompt, body, Outcome(acc, failure), clock, exc)
            raise
        finally:
            if self.spinner is not None:
                self.spinner.stop()
                self.spinner = None
        answer = self._record(conversation, prompt, body, outcome, clock)
        if outcome.error is None:
            conversation.add(prompt, answer)
            if self.settings.usage:
                from perplex_cli.output.usage import usage_line

                self.err.write(usage_line(outcome.acc.usage) + "\n")
                self.err.flush()
            if self.opts.save_files:
                outcome = self._save_files(outcome)
        return outcome

    def _save_files(self, outcome: Outcome) -> Outcome:
        """--save-files: the run's files into DIR; a failure is the outcome's error (the
        answer has been shown and kept)."""
        from perplex_cli.api.agent_files import save_announced
        from perplex_cli.api.stream import Outcome
        from perplex_cli.errors import PerplexError

        if self.opts.save_files is None or self.transport is None:
            return outcome
        try:
            save_announced(self.transport, outcome.acc, self.opts.save_files, self.err)
        except PerplexError as exc:
            return Outcome(outcome.acc, exc)
        return outcome

    def resume(self, acc: Accumulator) -> Resume | None:
        """How a broken stream is picked up again: only the agent API can."""
        from perplex_cli.api.agent_events import AgentAccumulator
        from perplex_cli.api.resume import Resume

        if not isinstance(acc, AgentAccumulator) or self.transport is None:
            return None
        return Resume(self.transport, acc, self.notice)

    def _record(
        self,
        conversation: Conversation,
        prompt: str,
        body: dict[str, Any],
        outcome: Outcome,
        clock: Clock,
        raised: BaseException | None = None,
    ) -> str:
        """Write the exchange to the log (key-free); returns the answer text it kept."""
        from perplex_cli.api.chat_events import answer_and_reasoning
        from perplex_cli.errors import Interrupted
        from perplex_cli.local.records import Exchange

        acc = outcome.acc
        answer, reasoning = answer_and_reasoning(acc)
        error = outcome.error
        message = error.message if error is not None else None
        if raised is not None and error is None:
            message = str(raised) or type(raised).__name__
        secrets = self.secrets()
        if error is None and raised is None:
            status = "ok"
        elif isinstance(error, Interrupted):
            status = "interrupted"
        else:
            status = "partial" if acc.events else "error"
        self.log.record(
            Exchange(
                conversation=conversation.id,
                prompt=keyfree(prompt, secrets),
                started=clock.started,
                status=status,
                model=str(body.get("model") or body.get("preset") or self.settings.model),
                system=None
                if conversation.system is None
                else keyfree(conversation.system, secrets),
                answer=keyfree(answer, secrets),
                reasoning=keyfree(reasoning, secrets),
                request=loggable_request(body, secrets),
                response_id=acc.id,
                finish_reason=acc.finish_reason,
                metadata=acc.metadata,
                usage=acc.usage,
                first_token=clock.first_token,
                duration=clock.elapsed(),
                error=None if message is None else keyfree(message, secrets),
            )
        )
        return answer

    def secrets(self) -> list[str | None]:
        """The key in use and any key in the environment: none of them may reach the log."""
        from perplex_cli.redact import KEY_VARIABLES

        return [self.key, *(os.environ.get(name) for name in KEY_VARIABLES)]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self.log.close()


class Clock:
    """Passes the events on to the formatter and notes when the first answer text arrived.

    Once it has, its `chunk` becomes the formatter's own (taken after the formatter's
    first-output wrapper has stepped aside too), so that later events go straight to the
    formatter and timing costs nothing per event.
    """

    def __init__(self, formatter: Formatter) -> None:
        self.formatter = formatter
        self.started = time.time()
        self._start = time.monotonic()
        self.first_token: float | None = None

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        if not update.answer:
            self.formatter.chunk(raw, update)
            return
        self.first_token = time.monotonic() - self._start
        self.formatter.chunk(raw, update)
        self.chunk = self.formatter.chunk  # type: ignore[method-assign]

    def end(self, acc: Any, error: Any) -> None:
        self.formatter.end(acc, error)

    def __getattr__(self, name: str) -> Any:
        # Anything else the pipeline asks of the formatter (its `out`, to watch for a reader
        # that went away) is the formatter's own.
        return getattr(self.formatter, name)

    def elapsed(self) -> float:
        return time.monotonic() - self._start
