"""The zsh completion script: a #compdef function for $fpath, or `source` it after compinit."""

from __future__ import annotations

from perplex_cli.reference.completions.levels import (
    FILES_MARK,
    HEADER,
    Level,
    describe,
    value_cases,
)

_DRIVER = r"""
_perplex_offer() {
    # Offer $vals (or file names for @files) under the tag $1.
    if [[ $vals == @files ]]; then
        _files
    elif (( $#vals )); then
        _wanted $1 expl $1 compadd -a vals
    fi
}

_perplex() {
    local cmdpath='' default word opt='' cur=${words[CURRENT]} prev=${words[CURRENT-1]}
    local -a cmds opts valued vals expl
    local -i i=2 dashdash=0
    # Walk the words before the cursor: options and their values, then (sub)commands.
    while (( i < CURRENT )); do
        word=${words[i]}
        _perplex_level "$cmdpath"
        if (( dashdash )); then
            :
        elif [[ $word == -- ]]; then
            dashdash=1
        elif [[ $word == -* ]]; then
            (( ${valued[(Ie)$word]} )) && (( i++ ))
        elif (( ${cmds[(I)${word}:*]} )); then
            cmdpath=${cmdpath:+$cmdpath }$word
        elif [[ -n $default ]]; then
            cmdpath=${cmdpath:+$cmdpath }$default
        fi
        (( i++ ))
    done
    _perplex_level "$cmdpath"
    if (( !dashdash )); then
        if [[ $cur == -*=* ]] && (( ${valued[(Ie)${cur%%=*}]} )); then
            opt=${cur%%=*}
            compset -P '*='
        elif (( ${valued[(Ie)$prev]} )); then
            opt=$prev
        fi
    fi
    if [[ -n $opt ]]; then
        _perplex_values "$cmdpath" "$opt"
        _perplex_offer values
    elif [[ $cur == -* ]] && (( !dashdash )); then
        _describe -t options option opts
    elif (( $#cmds )); then
        _describe -t commands command cmds
    else
        _perplex_values "$cmdpath" ''
        _perplex_offer arguments
    fi
}

if [[ $funcstack[1] == _perplex ]]; then
    _perplex "$@"
else
    compdef _perplex perplex
fi
"""


def script(levels: list[Level]) -> str:
    out = [
        "#compdef perplex",
        f"# zsh completion for perplex(1): {HEADER}.",
        "",
        "_perplex_level() {",
        "    # cmds and opts (name:description), valued and default of one command.",
        "    case $1 in",
    ]
    for level in levels:
        cmds = " ".join(_quote(f"{n}:{describe(p)}") for n, p in level.commands)
        opts = " ".join(_quote(f"{n}:{describe(o.help)}") for o in level.options for n in o.names)
        out.append(
            f"    ({_quote(level.key)}) cmds=({cmds}) opts=({opts}) "
            f"valued=({' '.join(level.valued)}) default={_quote(level.default)} ;;"
        )
    out += [
        "    (*) cmds=() opts=() valued=() default='' ;;",
        "    esac",
        "}",
        "",
        "_perplex_values() {",
        "    # vals: the values of option $2 of command $1 (argument values for ''),",
        f"    # or {FILES_MARK} for a path.",
        '    case "$1|$2" in',
    ]
    for keys, words in value_cases(levels):
        out.append(f"    ({'|'.join(_quote(k) for k in keys)}) vals=({words}) ;;")
    out += ["    (*) vals=() ;;", "    esac", "}"]
    return "\n".join(out) + "\n" + _DRIVER


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
