"""The fish completion script: `complete` rules, each guarded by the command being typed."""

from __future__ import annotations

from perplex_cli.reference.completions.levels import HEADER, Level, describe

_DRIVER = r"""
function __perplex_path --description 'The perplex command being typed, as words'
    set -l words (commandline -opc)
    set -e words[1]
    set -l cmdpath
    set -l skip 0
    set -l dashdash 0
    for word in $words
        if test $skip = 1
            set skip 0
        else if test $dashdash = 1
            continue
        else if test "$word" = --
            set dashdash 1
        else if string match -q -- '-*' $word
            if contains -- $word (__perplex_valued "$cmdpath")
                set skip 1
            end
        else if contains -- $word (__perplex_commands "$cmdpath")
            set -a cmdpath $word
        else
            set -l default (__perplex_default "$cmdpath")
            if test -n "$default"
                set -a cmdpath $default
            end
        end
    end
    echo "$cmdpath"
end

function __perplex_at --description 'Whether the perplex command being typed is $argv[1]'
    set -l typed (__perplex_path)
    test "$typed" = "$argv[1]"
end

complete -c perplex -f
"""


def script(levels: list[Level]) -> str:
    out = [f"# fish completion for perplex(1): {HEADER}.", ""]
    out += _lookup("__perplex_commands", {lv.key: [n for n, _ in lv.commands] for lv in levels})
    out += _lookup("__perplex_valued", {lv.key: list(lv.valued) for lv in levels})
    out += _lookup(
        "__perplex_default", {lv.key: [lv.default] if lv.default else [] for lv in levels}
    )
    out.append(_DRIVER.strip("\n"))
    for level in levels:
        at = f"-n {_quote('__perplex_at ' + _quote(level.key))}"
        for name, purpose in level.commands:
            out.append(f"complete -c perplex {at} -a {name} -d {_quote(describe(purpose))}")
        for option in level.options:
            spellings = " ".join(_spelling(n) for n in option.names)
            value = ""
            if option.files:
                value = " -r -F"
            elif option.takes_value:
                value = " -x"
                if option.values:
                    value += f" -a {_quote(' '.join(option.values))}"
            out.append(
                f"complete -c perplex {at} {spellings}{value} -d {_quote(describe(option.help))}"
            )
        arg = level.argument
        if arg is not None and arg.files:
            out.append(f"complete -c perplex {at} -F")
        elif arg is not None and arg.values:
            out.append(f"complete -c perplex {at} -a {_quote(' '.join(arg.values))}")
    return "\n".join(out) + "\n"


def _lookup(name: str, table: dict[str, list[str]]) -> list[str]:
    lines = [f"function {name}", '    switch "$argv[1]"']
    for key, words in table.items():
        if words:
            lines += [
                f"        case {_quote(key)}",
                f"            printf '%s\\n' {' '.join(words)}",
            ]
    return [*lines, "    end", "end", ""]


def _spelling(name: str) -> str:
    if name.startswith("--"):
        return f"-l {name[2:]}"
    return f"-s {name[1:]}" if len(name) == 2 else f"-o {name[1:]}"


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
