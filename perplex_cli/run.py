"""What `ask` and `chat` do once argv is parsed: conversation, request, stream, output, log.

A `Session` holds what stays the same between the questions of one run (settings, key,
transport, log). `Session.ask` is one exchange: the messages (system, earlier turns, the
new question), the request, the event stream through a formatter, and the log record,
written after the answer from the same accumulated events.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from .conversation import Conversation
from .options import Options
from .settings import api_key, resolve

if TYPE_CHECKING:
    from .ask import Outcome
    from .events import Update
    from .output import Formatter
    from .transport import Transport

# An attached file travels as a data URI; the log keeps its type and size, not its bytes.
DATA_URI_KEPT = 1024


def text_stream(stream: Any) -> IO[str]:
    """The given stdout/stderr, writing UTF-8 whatever the locale says."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError):
            pass
    return stream  # type: ignore[no-any-return]


def run_ask(
    words: list[str],
    opts: Options,
    *,
    ignore_stdin: bool = False,
    continue_last: bool = False,
    cid: str | None = None,
) -> None:
    from .ask import warn_if_cut
    from .prompt import build_prompt

    session = Session(opts)
    try:
        conversation = session.conversation(continue_last=continue_last, cid=cid)
        prompt = build_prompt(words, ignore_stdin=ignore_stdin)
        session.connect()
        outcome = session.ask(conversation, prompt, session.formatter())
    finally:
        session.close()
    if outcome.error is not None:
        raise outcome.error
    warn_if_cut(outcome.acc, session.err, session.settings.quiet)


class Session:
    """Settings, key, transport and log, shared by the questions of one run."""

    def __init__(self, opts: Options) -> None:
        from .request import validate
        from .store import Log, log_path

        self.opts = opts
        self.settings = resolve(opts)
        validate(opts)
        self.out = text_stream(sys.stdout)
        self.err = text_stream(sys.stderr)
        self.log = Log(log_path(), enabled=self.settings.log, warn=self.notice)
        self.key: str | None = None
        self.transport: Transport | None = None

    def notice(self, line: str) -> None:
        """A diagnostic line on stderr, unless -q."""
        if not self.settings.quiet:
            self.err.write(line + "\n")
            self.err.flush()

    def conversation(self, *, continue_last: bool = False, cid: str | None = None) -> Conversation:
        """A new conversation, or the one -c/--cid names from the log (unknown: exit 2)."""
        from .errors import UsageError

        if continue_last and cid is not None:
            raise UsageError("-c/--continue and --cid both choose a conversation: give one")
        if continue_last or cid is not None:
            found = self.log.conversation(cid)
        else:
            found = Conversation()
        if self.opts.system is not None:
            found.system = self.opts.system or None
        return found

    def connect(self) -> None:
        """Find the key and set up the transport (exit 3 without a key)."""
        from .transport import Transport, TransportSettings, retry_base_from_env

        self.key = api_key()
        self.transport = Transport(
            TransportSettings(
                base_url=self.settings.base_url,
                api_key=self.key,
                connect_timeout=self.settings.connect_timeout,
                read_timeout=self.settings.timeout,
                retries=self.settings.retries,
                retry_base=retry_base_from_env(),
            ),
            on_retry=self.notice,
        )

    def formatter(self, name: str | None = None) -> Formatter:
        from .output import make_formatter

        return make_formatter(
            name or self.settings.format,
            self.out,
            self.err,
            citations=not self.settings.no_citations,
            reasoning=self.settings.reasoning,
        )

    def ask(self, conversation: Conversation, prompt: str, formatter: Formatter) -> Outcome:
        """One exchange: send, stream through formatter, log; a complete turn joins the history.

        API and network failures come back in the outcome; Ctrl-C before the answer starts
        and a closed stdout are raised, after the exchange is logged.
        """
        from .ask import Outcome, stream_answer
        from .errors import Interrupted, PerplexError
        from .events import Accumulator
        from .request import build_body, build_messages

        assert self.transport is not None, "connect() first"
        asked = replace(self.opts, system=conversation.system)
        messages = build_messages(prompt, asked, conversation.history())
        body = build_body(messages, asked, self.settings, stream=True)
        clock = Clock(formatter)
        try:
            response = self.transport.request("POST", "/chat/completions", body, stream=True)
            outcome = stream_answer(response, clock)
        except PerplexError as exc:
            outcome = Outcome(Accumulator(), exc)
        except BaseException as exc:
            failure = Interrupted("interrupted") if isinstance(exc, KeyboardInterrupt) else None
            self._record(conversation, prompt, body, Outcome(Accumulator(), failure), clock, exc)
            raise
        answer = self._record(conversation, prompt, body, outcome, clock)
        if outcome.error is None:
            conversation.add(prompt, answer)
        return outcome

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
        from .errors import Interrupted
        from .events import answer_and_reasoning
        from .redact import redact
        from .store import Exchange

        acc = outcome.acc
        answer, reasoning = answer_and_reasoning(acc)
        error = outcome.error
        message = error.message if error is not None else None
        if raised is not None and error is None:
            message = str(raised) or type(raised).__name__
        secrets = (self.key,)
        if error is None and raised is None:
            status = "ok"
        elif isinstance(error, Interrupted):
            status = "interrupted"
        else:
            status = "partial" if acc.events else "error"
        self.log.record(
            Exchange(
                conversation=conversation.id,
                prompt=redact(prompt, secrets),
                started=clock.started,
                status=status,
                model=self.settings.model,
                system=None
                if conversation.system is None
                else redact(conversation.system, secrets),
                answer=redact(answer, secrets),
                reasoning=redact(reasoning, secrets),
                request=loggable_request(body, secrets),
                response_id=acc.id,
                finish_reason=acc.finish_reason,
                metadata=acc.metadata,
                usage=acc.usage,
                first_token=clock.first_token,
                duration=clock.elapsed(),
                error=None if message is None else redact(message, secrets),
            )
        )
        return answer

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self.log.close()


class Clock:
    """Passes the events on to the formatter and notes when the first answer text arrived.

    Once it has, its `chunk` becomes the formatter's own, so that later events go straight
    to the formatter and timing costs nothing per event.
    """

    def __init__(self, formatter: Formatter) -> None:
        self.formatter = formatter
        self.started = time.time()
        self._start = time.monotonic()
        self.first_token: float | None = None

    def chunk(self, raw: dict[str, Any], update: Update) -> None:
        if update.answer:
            self.first_token = time.monotonic() - self._start
            self.chunk = self.formatter.chunk  # type: ignore[method-assign]
        self.formatter.chunk(raw, update)

    def end(self, acc: Any, error: Any) -> None:
        self.formatter.end(acc, error)

    def elapsed(self) -> float:
        return time.monotonic() - self._start


def loggable_request(body: dict[str, Any], secrets: tuple[str | None, ...]) -> Any:
    """The request body as the log keeps it: no key, and no attached file's bytes."""
    import json

    from .redact import redact

    def shrink(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shrink(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shrink(v) for v in value]
        if isinstance(value, str) and value.startswith("data:") and len(value) > DATA_URI_KEPT:
            head = value.split(",", 1)[0]
            return f"{head},... ({len(value)} characters not logged)"
        return value

    return json.loads(redact(json.dumps(shrink(body), ensure_ascii=False), secrets))
