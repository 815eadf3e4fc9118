"""docs/cli.md, the command-line reference in Markdown, and the tables the docs share.

Like the man page, everything comes from the live command tree (`commandtree.py`) and
the tables in the code (`errors.EXIT_STATUS`, `environment.ENVIRONMENT`); the shared
request options are listed once, under "Request options".
"""

from __future__ import annotations

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

REQUEST_ANCHOR = "#request-options"
HEAD = (
    f"# {PROG} command-line reference\n\n"
    "Generated from the commands by `python scripts/gen_docs.py`; do not edit. "
    f"`{PROG} COMMAND --help` prints the same for one command, and `man {PROG}` gives the "
    "manual page. The guide is listed in [the README](../README.md#documentation)."
)


def markdown(text: str) -> str:
    """Help text as Markdown shows it: no emphasis or HTML where the help has none."""
    return text.replace("*", "\\*").replace("<", "&lt;")


def cell(text: str) -> str:
    """Text for one cell of a Markdown table."""
    return markdown(text).replace("|", "\\|")


def exit_status_table() -> str:
    rows = [f"| {code} | {cell(meaning)} |" for code, meaning in EXIT_STATUS]
    return "\n".join(["| status | meaning |", "|---|---|", *rows])


def environment_table() -> str:
    rows = [
        f"| {', '.join(f'`{name}`' for name in names)} | {cell(meaning)} |"
        for names, meaning in ENVIRONMENT
    ]
    return "\n".join(["| variable | meaning |", "|---|---|", *rows])


def agent_fields_table() -> str:
    """Where each option goes in an Agent API request, or that it is refused there."""
    from perplex_cli.api.agent_request import FIELDS, REFUSED

    rows = [f"| `{f.flag}` | `{'.'.join(f.path)}` |" for f in FIELDS]
    rows += [f"| `{flag}` | none: refused (exit 2) |" for _, flag in REFUSED]
    return "\n".join(["| option | Agent API field |", "|---|---|", *rows])


def presets_table() -> str:
    """The Agent API presets, and the Sonar model names sent as one of them."""
    from perplex_cli.request.choices import PRESETS, SONAR_ENGINES

    rows = [
        f"| `{name}` | {cell(what)} | "
        + ", ".join(f"`{m}`" for m, sent in SONAR_ENGINES.items() if sent.get("preset") == name)
        + " |"
        for name, what in PRESETS.items()
    ]
    return "\n".join(["| preset | effort | sent for the Sonar model |", "|---|---|---|", *rows])


def sonar_table() -> str:
    """What each Sonar model name is sent as on the Agent API."""
    from perplex_cli.request.choices import SONAR_ENGINES

    rows = [
        f"| `-m {name}` | "
        + ", ".join(f'`{field}: "{value}"`' for field, value in sent.items())
        + (" with web search" if "model" in sent else "")
        + " |"
        for name, sent in SONAR_ENGINES.items()
    ]
    return "\n".join(["| given | sent |", "|---|---|", *rows])


def cli_reference(tree: Command) -> str:
    """The whole of docs/cli.md."""
    request = request_options(tree)
    synopsis = []
    for cmd in walk(tree):
        if not cmd.commands:
            words = list(cmd.path)
            if len(words) == 1 and words[0] == tree.default:
                words[0] = f"[{words[0]}]"
            synopsis.append(" ".join([PROG, *words, cmd.usage]))
    out = [HEAD, "## Synopsis", _code(synopsis), "## Commands"]
    for cmd in walk(tree):
        out += _command(cmd, request)
    if request:
        takers = [f"`{PROG} {' '.join(c.path)}`" for c in commands_taking_all(tree, request)]
        out += [
            "## Request options",
            f"Defined once and taken by {', '.join(takers[:-1])} and {takers[-1]}; other "
            "commands take the ones their entry names. The API field each one sets is in "
            "brackets; [request-options.md](request-options.md) maps them for both APIs.",
            option_list(request),
        ]
    out += ["## Exit status", exit_status_table()]
    out += ["## Environment", environment_table()]
    return "\n\n".join(out) + "\n"


def _command(cmd: Command, request: tuple[Option, ...]) -> list[str]:
    out = [f"### {cmd.name}", _code([f"{cmd.name} {cmd.usage}"])]
    out += [markdown(" ".join(p.split())) for p in cmd.help.split("\n\n") if p.strip()]
    if cmd.commands:
        out.append(
            "Commands: "
            + ", ".join(f"`{c.path[-1]}`" for c in cmd.commands)
            + "."
            + (f" Without one, `{cmd.default}` runs." if cmd.default else "")
        )
    if cmd.arguments:
        out.append(
            "Arguments:\n\n"
            + "\n".join(
                f"- `{a.metavar}`: {markdown(a.help)}" + _values(a.values) for a in cmd.arguments
            )
        )
    own, taken = split_options(cmd, request)
    lines = [option_list(own)] if own else []
    if taken and taken == request:
        lines.append(f"And every one of the [request options]({REQUEST_ANCHOR}).")
    elif taken:
        names = ", ".join(f"`{o.long}`" for o in taken)
        lines.append(f"And these [request options]({REQUEST_ANCHOR}): {names}.")
    if lines:
        out.append("Options:\n\n" + "\n\n".join(lines))
    if cmd.examples:
        out += ["Examples:", _code([e.strip() for e in cmd.examples])]
    return out


def _code(lines: list[str]) -> str:
    return "\n".join(["```", *lines, "```"])


def option_list(options: tuple[Option, ...]) -> str:
    return "\n".join(
        f"- `{', '.join(o.names)}{' ' + o.metavar if o.metavar else ''}`: "
        + markdown(o.help)
        + _values(o.values)
        + (" Repeatable." if o.repeatable and "repeat" not in o.help else "")
        for o in options
    )


def _values(values: tuple[str, ...]) -> str:
    return f" Values: {', '.join(f'`{v}`' for v in values)}." if values else ""
