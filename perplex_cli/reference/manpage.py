"""man/perplex.1: the manual page, written in roff from the command tree.

Commands, synopses, options, their values and the examples come from the live tree
(`commandtree.py`); the shared request options are listed once, under REQUEST OPTIONS.
The exit statuses and the environment come from their tables (`errors.py`,
`environment.py`); the sections about behaviour that no command carries (formats, files,
security) are kept here. Everything is escaped for groff,
non-ASCII characters included, so that `groff -man -ww -z` has nothing to say.
"""

from __future__ import annotations

import re

from perplex_cli import __version__
from perplex_cli.errors import EXIT_STATUS
from perplex_cli.reference.commandtree import (
    PROG,
    Command,
    Option,
    commands_taking_all,
    request_options,
    split_options,
    walk,
)
from perplex_cli.request.environment import ENVIRONMENT

NAME = "ask Perplexity from the command line: cited answers, streamed"

DESCRIPTION = [
    (
        "perplex sends one question to the Perplexity API and streams the answer as it is "
        "generated, then lists the numbered sources that the [n] markers in the answer refer "
        "to. It is built for shell one-liners, prompts piped through stdin, and scripts that "
        "read JSON."
    ),
    (
        "The words of the prompt are joined with single spaces; - alone reads the prompt from "
        "stdin. Piped stdin is read automatically: with both stdin and words, the message is "
        "the stdin text, a blank line, then the words (stdin is the material, the words the "
        "instruction). --ignore-stdin never reads stdin. With no prompt while stdin is a "
        "terminal, perplex exits with status 2 rather than wait for input."
    ),
    (
        "ask is the default command, so a question whose first word is a command name runs "
        "that command: quote the question or write perplex ask. A question that starts with "
        "- needs --, as in perplex ask -- -5 degrees in kelvin."
    ),
    (
        "On a terminal, --render shows the answer as formatted Markdown with clickable source "
        "links, and a spinner on stderr shows the wait for the first token. With NO_COLOR set, "
        "TERM=dumb, --no-color or -q, or when the stream is not a terminal, output on that "
        "stream is plain: no colour, styles, links, cursor movement or spinner."
    ),
]

FORMATS = [
    (
        "text",
        (
            "The default. The answer as it arrives, flushed per event; reasoning "
            "(<think> blocks) is left out (--reasoning shows it on stderr); then a blank line and "
            "the sources as [n] Title - URL, unless --no-citations. Always ends with a newline. "
            "An answer cut by the token limit gets a one-line warning on stderr."
        ),
    ),
    (
        "ndjson",
        (
            "Every chunk the API sent, one compact JSON object per line, flushed per "
            "line. Nothing else on stdout."
        ),
    ),
    (
        "json",
        (
            "One document when the answer is complete, shaped like the API's "
            "non-streaming response: object chat.completion, choices[0].message.content, "
            "finish_reason, citations, search_results, images, videos, related_questions and the final "
            "usage with its cost."
        ),
    ),
]
FORMATS_AFTER = (
    "When an answer fails part-way, what was received is kept: text keeps what was "
    "printed; json prints the partial document with an error member; ndjson ends with a "
    'line {"error": {...}}. Diagnostics always go to stderr; stdout carries data only.'
)

FILES = [
    ("$XDG_CONFIG_HOME/perplex/config.toml", "Defaults for the options (TOML)."),
    ("$XDG_CONFIG_HOME/perplex/key", "The API key written by perplex key set, mode 0600."),
    ("$XDG_DATA_HOME/perplex/logs.db", ("The local log of past exchanges (SQLite), mode 0600.")),
    (
        "$XDG_DATA_HOME/perplex/chat_history",
        "The line history of perplex chat, beside the log, mode 0600.",
    ),
]

SECURITY = [
    (
        "The key never appears in stdout, stderr, the log, --dry-run or --debug output. Key and "
        "config files are created mode 0600 in a 0700 directory; a key file readable by others "
        "is refused. The key is never sent over plain HTTP to a host other than loopback."
    ),
    (
        "An answer is untrusted text from the web. Written to a terminal, its control "
        "characters and escape sequences are shown, not obeyed (ESC appears as ^[), --render "
        "included; output to a pipe or file is left byte-exact."
    ),
]

SEE_ALSO = "jq(1), curl(1)"

_NAMED = {
    "\u2014": "\\(em",
    "\u2013": "\\(en",
    "\u2018": "\\(oq",
    "\u2019": "\\(cq",
    "\u201c": "\\(lq",
    "\u201d": "\\(rq",
    "\u2022": "\\(bu",
    "\u00a0": "\\~",
}
# A hyphen that starts an option (-f, --format) or stands alone is a minus sign in roff.
_OPTION_DASH = re.compile(r"(?<![\w-])-(?=[-\w]|\s|$)|(?<=-)-")


def escape(text: str, code: bool = False) -> str:
    """Text as groff prints it: backslashes, option dashes and non-ASCII escaped.

    In `code` (names, values, examples) every hyphen is a minus sign, so that what a
    reader copies or searches for is what they type.
    """
    text = text.replace("\\", "\\e")
    text = text.replace("-", "\\-") if code else _OPTION_DASH.sub(r"\\-", text)
    return "".join(c if ord(c) < 128 else _NAMED.get(c, f"\\[u{ord(c):04X}]") for c in text)


def _lines(text: str, code: bool = False) -> str:
    """Escaped text whose lines cannot be mistaken for requests."""
    return "\n".join(
        "\\&" + line if line.startswith((".", "'")) else line
        for line in escape(text, code).split("\n")
    )


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in text.strip().split("\n\n") if p.strip()]


def man_page(tree: Command) -> str:
    """The whole page."""
    out = [
        f'.TH {PROG.upper()} 1 "" "{PROG} {__version__}" "User Commands"',
        ".nh",  # no hyphenation: option and variable names stay whole
        ".ad l",
        ".SH NAME",
        f"{PROG} \\- {escape(NAME)}",
        ".SH SYNOPSIS",
    ]
    for cmd in walk(tree):
        if cmd.commands:
            continue
        words = list(cmd.path)
        if len(cmd.path) == 1 and cmd.path[0] == tree.default:
            words[0] = f"[{words[0]}]"
        out += [
            ".br" if out[-1] != ".SH SYNOPSIS" else "",
            f"\\fB{PROG}\\fR \\fB{escape(' '.join(words), True)}\\fR {escape(cmd.usage, True)}",
        ]
    out = [line for line in out if line]
    out += [".SH DESCRIPTION"]
    for n, para in enumerate(DESCRIPTION):
        out += ([] if n == 0 else [".PP"]) + [_lines(para)]
    out += [".SH COMMANDS"]
    for cmd in walk(tree):
        if not cmd.path:
            continue
        out += [".TP", f"\\fB{escape(cmd.name, True)}\\fR"]
        paras = _paragraphs(cmd.help)
        out += [_lines(paras[0] if paras else "")]
        for para in paras[1:]:
            out += [".IP", _lines(para)]
    request = request_options(tree)
    out += [".SH OPTIONS"]
    for cmd in walk(tree):
        own, taken = split_options(cmd, request)
        if not cmd.options and not cmd.arguments:
            continue
        out += [f'.SS "{escape(cmd.name, True)}"']
        for arg in cmd.arguments:
            out += [
                ".TP",
                f"\\fI{escape(arg.metavar, True)}\\fR",
                _lines(arg.help or "An argument."),
            ]
            if arg.values:
                out += [_values(arg.values)]
        out += option_entries(own)
        if taken == request:
            out += [".PP", "And every option under REQUEST OPTIONS."]
        elif taken:
            names = ", ".join(f"\\fB{escape(o.long, True)}\\fR" for o in taken)
            out += [".PP", f"And these of the REQUEST OPTIONS: {names}."]
    if request:
        takers = [escape(" ".join(c.path), True) for c in commands_taking_all(tree, request)]
        out += [
            '.SH "REQUEST OPTIONS"',
            f"Defined once, taken by {_and(takers)}; other commands take the ones their "
            "OPTIONS entry names.",
        ]
        out += option_entries(request)
    out += [".SH FORMATS"]
    for name, text in FORMATS:
        out += [".TP", f"\\fB{name}\\fR", _lines(text)]
    out += [".PP", _lines(FORMATS_AFTER), ".SH EXIT STATUS"]
    for code, text in EXIT_STATUS:
        out += [".TP", f"\\fB{code}\\fR", _lines(text)]
    out += [".SH ENVIRONMENT"]
    for variables, meaning in ENVIRONMENT:
        tag = ", ".join(f"\\fB{escape(name, True)}\\fR" for name in variables)
        out += [".TP", tag, _lines(meaning)]
    out += [".SH FILES"]
    for path, text in FILES:
        out += [".TP", f"\\fI{escape(path, True)}\\fR", _lines(text)]
    out += [".SH EXAMPLES"]
    first = True
    for cmd in walk(tree):
        if cmd.examples:
            out += ([] if first else [".PP"]) + [f"\\fB{escape(cmd.name, True)}\\fR:", ".PP", ".EX"]
            out += [_lines(line.strip(), True) for line in cmd.examples]
            out += [".EE"]
            first = False
    out += [".SH SECURITY"]
    for n, para in enumerate(SECURITY):
        out += ([] if n == 0 else [".PP"]) + [_lines(para)]
    out += [".SH SEE ALSO", SEE_ALSO]
    return "\n".join(out) + "\n"


def option_entries(options: tuple[Option, ...]) -> list[str]:
    out: list[str] = []
    for option in options:
        out += [".TP", _option_tag(option), _lines(option.help or "")]
        if option.values:
            out += [_values(option.values)]
        if option.repeatable:
            out += ["May be given more than once."]
    return out


def _and(words: list[str]) -> str:
    """a, b and c."""
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _option_tag(option: Option) -> str:
    names = ", ".join(f"\\fB{escape(n, True)}\\fR" for n in option.names)
    return f"{names} \\fI{escape(option.metavar, True)}\\fR" if option.metavar else names


def _values(values: tuple[str, ...]) -> str:
    return ".br\nValues: " + ", ".join(f"\\fB{escape(v)}\\fR" for v in values) + "."
