# bash completion for perplex(1): generated from the perplex command tree by scripts/gen_docs.py; do not edit.

_perplex_level() {
    # cmds, opts, valued (options that take a value) and default of one command.
    case $1 in
    '') cmds='ask completions' opts='--version -h --help --ignore-stdin -m --model -s --system --max-tokens --temperature -f --format --reasoning --no-citations -q --quiet --render --usage --no-color --base-url --timeout --connect-timeout --retries' valued='-m --model -s --system --max-tokens --temperature -f --format --base-url --timeout --connect-timeout --retries' default='ask' ;;
    'ask') cmds='' opts='--ignore-stdin -m --model -s --system --max-tokens --temperature -f --format --reasoning --no-citations -q --quiet --render --usage --no-color --base-url --timeout --connect-timeout --retries -h --help' valued='-m --model -s --system --max-tokens --temperature -f --format --base-url --timeout --connect-timeout --retries' default='' ;;
    'completions') cmds='' opts='-h --help' valued='' default='' ;;
    *) cmds='' opts='' valued='' default='' ;;
    esac
}

_perplex_values() {
    # words: the values of option $2 of command $1 (argument values for ''),
    # or @files for a path.
    case "$1|$2" in
    '|-m'|'|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    '|-f'|'|--format') words='text ndjson json' ;;
    'ask|-m'|'ask|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    'ask|-f'|'ask|--format') words='text ndjson json' ;;
    'completions|') words='bash zsh fish' ;;
    *) words='' ;;
    esac
}

_perplex_reply() {
    # COMPREPLY from $words (or file names for @files) matching $cur, each prefixed with $1.
    local IFS=$'\n'
    if [[ $words == @files ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    else
        COMPREPLY=($(IFS=$' \t\n'; compgen -W "$words" -- "$cur"))
    fi
    if [[ -n $1 ]]; then
        COMPREPLY=("${COMPREPLY[@]/#/$1}")
    fi
}

_perplex() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cmdpath='' cmds opts valued default words word opt='' prefix='' i=1 dashdash=0
    # Walk the words before the cursor: options and their values, then (sub)commands.
    while ((i < COMP_CWORD)); do
        word=${COMP_WORDS[i]}
        _perplex_level "$cmdpath"
        if ((dashdash)); then
            :
        elif [[ $word == -- ]]; then
            dashdash=1
        elif [[ $word == -* ]]; then
            if [[ " $valued " == *" $word "* ]]; then
                i=$((i + 1))
                # --option=value arrives as three words when '=' breaks words.
                if [[ ${COMP_WORDS[i]} == = ]]; then i=$((i + 1)); fi
            fi
        elif [[ " $cmds " == *" $word "* ]]; then
            cmdpath=${cmdpath:+$cmdpath }$word
        elif [[ -n $default ]]; then
            cmdpath=${cmdpath:+$cmdpath }$default
        fi
        i=$((i + 1))
    done
    _perplex_level "$cmdpath"
    if ((!dashdash)); then
        if [[ $cur == = && " $valued " == *" $prev "* ]]; then
            opt=$prev cur=''
        elif [[ $prev == = ]] && ((COMP_CWORD > 1)) &&
            [[ " $valued " == *" ${COMP_WORDS[COMP_CWORD-2]} "* ]]; then
            opt=${COMP_WORDS[COMP_CWORD-2]}
        elif [[ $cur == -*=* && " $valued " == *" ${cur%%=*} "* ]]; then
            opt=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
        elif [[ " $valued " == *" $prev "* ]]; then
            opt=$prev
        fi
    fi
    if [[ -n $opt ]]; then
        _perplex_values "$cmdpath" "$opt"
        _perplex_reply "$prefix"
    elif [[ $cur == -* ]] && ((!dashdash)); then
        words=$opts
        _perplex_reply ''
    elif [[ -n $cmds ]]; then
        words=$cmds
        _perplex_reply ''
    else
        _perplex_values "$cmdpath" ''
        _perplex_reply ''
    fi
}

complete -F _perplex perplex
