# bash completion for perplex(1): generated from the perplex command tree by scripts/gen_docs.py; do not edit.

_perplex_level() {
    # cmds, opts, valued (options that take a value) and default of one command.
    case $1 in
    '') cmds='ask chat models batch search completions research key config logs' opts='--version --debug -h --help --ignore-stdin -c --continue --cid -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --images --image-domain --image-format --related-questions --reasoning-effort --no-search --json-schema --stream-mode -o --option -a --attach --no-stream --dry-run -f --format --reasoning --no-reasoning --no-citations --citations -q --quiet --no-quiet --render --no-render --usage --no-usage --no-color --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http --log --no-log' valued='--cid -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --image-domain --image-format --reasoning-effort --json-schema --stream-mode -o --option -a --attach -f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='ask' ;;
    'ask') cmds='' opts='--ignore-stdin -c --continue --cid -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --images --image-domain --image-format --related-questions --reasoning-effort --no-search --json-schema --stream-mode -o --option -a --attach --no-stream --dry-run -f --format --reasoning --no-reasoning --no-citations --citations -q --quiet --no-quiet --render --no-render --usage --no-usage --no-color --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http --log --no-log --debug -h --help' valued='--cid -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --image-domain --image-format --reasoning-effort --json-schema --stream-mode -o --option -a --attach -f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'chat') cmds='' opts='-c --continue --cid -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --images --image-domain --image-format --related-questions --reasoning-effort --no-search --json-schema --stream-mode -o --option -a --attach --no-stream --dry-run -f --format --reasoning --no-reasoning --no-citations --citations -q --quiet --no-quiet --render --no-render --usage --no-usage --no-color --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http --log --no-log --debug -h --help' valued='--cid -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --image-domain --image-format --reasoning-effort --json-schema --stream-mode -o --option -a --attach -f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'models') cmds='' opts='-f --format --api --base-url -h --help' valued='-f --format --api --base-url' default='' ;;
    'batch') cmds='' opts='-j --concurrency --ordered --output --resume --rate -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --images --image-domain --image-format --related-questions --reasoning-effort --no-search --json-schema --stream-mode -o --option -a --attach --no-stream --dry-run -f --format --reasoning --no-reasoning --no-citations --citations -q --quiet --no-quiet --render --no-render --usage --no-usage --no-color --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http --log --no-log --debug -h --help' valued='-j --concurrency --output --rate -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --image-domain --image-format --reasoning-effort --json-schema --stream-mode -o --option -a --attach -f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'search') cmds='' opts='--max-results --country --search-domain --search-recency --search-after --search-before --updated-after --updated-before -f --format -q --quiet --no-quiet --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http -h --help' valued='--max-results --country --search-domain --search-recency --search-after --search-before --updated-after --updated-before -f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'completions') cmds='' opts='-h --help' valued='' default='' ;;
    'research') cmds='submit run wait status list' opts='-h --help' valued='' default='' ;;
    'research submit') cmds='' opts='--ignore-stdin -y --yes --idempotency-key -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --images --image-domain --image-format --related-questions --reasoning-effort --no-search --json-schema --stream-mode -o --option -a --attach --no-stream --dry-run -f --format --reasoning --no-reasoning --no-citations --citations -q --quiet --no-quiet --render --no-render --usage --no-usage --no-color --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http --log --no-log --debug -h --help' valued='--idempotency-key -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --image-domain --image-format --reasoning-effort --json-schema --stream-mode -o --option -a --attach -f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'research run') cmds='' opts='--ignore-stdin -y --yes --idempotency-key --interval --max-wait -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --images --image-domain --image-format --related-questions --reasoning-effort --no-search --json-schema --stream-mode -o --option -a --attach --no-stream --dry-run -f --format --reasoning --no-reasoning --no-citations --citations -q --quiet --no-quiet --render --no-render --usage --no-usage --no-color --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http --log --no-log --debug -h --help' valued='--idempotency-key --interval --max-wait -m --model --api --preset -s --system --max-tokens --temperature --top-p --stop --search-domain --search-recency --search-after --search-before --updated-after --updated-before --search-mode --search-context-size --search-type --location --language --image-domain --image-format --reasoning-effort --json-schema --stream-mode -o --option -a --attach -f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'research wait') cmds='' opts='--interval --max-wait -f --format --reasoning --no-reasoning --no-citations --citations -q --quiet --no-quiet --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http -h --help' valued='--interval --max-wait -f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'research status') cmds='' opts='-f --format -q --quiet --no-quiet --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http -h --help' valued='-f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'research list') cmds='' opts='-f --format -q --quiet --no-quiet --base-url --timeout --connect-timeout --retries --proxy --api-key-file --allow-insecure-http -h --help' valued='-f --format --base-url --timeout --connect-timeout --retries --proxy --api-key-file' default='' ;;
    'key') cmds='set path status' opts='-h --help' valued='' default='' ;;
    'key set') cmds='' opts='-h --help' valued='' default='' ;;
    'key path') cmds='' opts='-h --help' valued='' default='' ;;
    'key status') cmds='' opts='-f --format -h --help' valued='-f --format' default='' ;;
    'config') cmds='path list get set unset' opts='-h --help' valued='' default='' ;;
    'config path') cmds='' opts='-h --help' valued='' default='' ;;
    'config list') cmds='' opts='-f --format --all -h --help' valued='-f --format' default='' ;;
    'config get') cmds='' opts='-h --help' valued='' default='' ;;
    'config set') cmds='' opts='-h --help' valued='' default='' ;;
    'config unset') cmds='' opts='-h --help' valued='' default='' ;;
    'logs') cmds='list show search path stats rm prune' opts='-h --help -n --limit -m --model --since --status -f --format' valued='-n --limit -m --model --since --status -f --format' default='list' ;;
    'logs list') cmds='' opts='-n --limit -m --model --since --status -f --format -h --help' valued='-n --limit -m --model --since --status -f --format' default='' ;;
    'logs show') cmds='' opts='-f --format -h --help' valued='-f --format' default='' ;;
    'logs search') cmds='' opts='-n --limit -f --format -h --help' valued='-n --limit -f --format' default='' ;;
    'logs path') cmds='' opts='-h --help' valued='' default='' ;;
    'logs stats') cmds='' opts='--since -f --format -h --help' valued='--since -f --format' default='' ;;
    'logs rm') cmds='' opts='-h --help' valued='' default='' ;;
    'logs prune') cmds='' opts='--before -h --help' valued='--before' default='' ;;
    *) cmds='' opts='' valued='' default='' ;;
    esac
}

_perplex_values() {
    # words: the values of option $2 of command $1 (argument values for ''),
    # or @files for a path.
    case "$1|$2" in
    '|-m'|'|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    '|--api') words='chat agent' ;;
    '|--search-recency') words='hour day week month year' ;;
    '|--search-mode') words='web academic sec' ;;
    '|--search-context-size') words='low medium high' ;;
    '|--search-type') words='fast pro auto' ;;
    '|--image-format') words='gif jpg png webp' ;;
    '|--reasoning-effort') words='minimal low medium high xhigh max' ;;
    '|--json-schema') words='@files' ;;
    '|--stream-mode') words='full concise' ;;
    '|-a'|'|--attach') words='@files' ;;
    '|-f'|'|--format') words='text ndjson json' ;;
    '|--api-key-file') words='@files' ;;
    'ask|-m'|'ask|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    'ask|--api') words='chat agent' ;;
    'ask|--search-recency') words='hour day week month year' ;;
    'ask|--search-mode') words='web academic sec' ;;
    'ask|--search-context-size') words='low medium high' ;;
    'ask|--search-type') words='fast pro auto' ;;
    'ask|--image-format') words='gif jpg png webp' ;;
    'ask|--reasoning-effort') words='minimal low medium high xhigh max' ;;
    'ask|--json-schema') words='@files' ;;
    'ask|--stream-mode') words='full concise' ;;
    'ask|-a'|'ask|--attach') words='@files' ;;
    'ask|-f'|'ask|--format') words='text ndjson json' ;;
    'ask|--api-key-file') words='@files' ;;
    'chat|-m'|'chat|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    'chat|--api') words='chat agent' ;;
    'chat|--search-recency') words='hour day week month year' ;;
    'chat|--search-mode') words='web academic sec' ;;
    'chat|--search-context-size') words='low medium high' ;;
    'chat|--search-type') words='fast pro auto' ;;
    'chat|--image-format') words='gif jpg png webp' ;;
    'chat|--reasoning-effort') words='minimal low medium high xhigh max' ;;
    'chat|--json-schema') words='@files' ;;
    'chat|--stream-mode') words='full concise' ;;
    'chat|-a'|'chat|--attach') words='@files' ;;
    'chat|-f'|'chat|--format') words='text ndjson json' ;;
    'chat|--api-key-file') words='@files' ;;
    'models|-f'|'models|--format') words='text ndjson json' ;;
    'models|--api') words='chat agent' ;;
    'batch|--output') words='@files' ;;
    'batch|-m'|'batch|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    'batch|--api') words='chat agent' ;;
    'batch|--search-recency') words='hour day week month year' ;;
    'batch|--search-mode') words='web academic sec' ;;
    'batch|--search-context-size') words='low medium high' ;;
    'batch|--search-type') words='fast pro auto' ;;
    'batch|--image-format') words='gif jpg png webp' ;;
    'batch|--reasoning-effort') words='minimal low medium high xhigh max' ;;
    'batch|--json-schema') words='@files' ;;
    'batch|--stream-mode') words='full concise' ;;
    'batch|-a'|'batch|--attach') words='@files' ;;
    'batch|-f'|'batch|--format') words='text ndjson json' ;;
    'batch|--api-key-file') words='@files' ;;
    'search|--search-recency') words='hour day week month year' ;;
    'search|-f'|'search|--format') words='text ndjson json' ;;
    'search|--api-key-file') words='@files' ;;
    'completions|') words='bash zsh fish' ;;
    'research submit|-m'|'research submit|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    'research submit|--api') words='chat agent' ;;
    'research submit|--search-recency') words='hour day week month year' ;;
    'research submit|--search-mode') words='web academic sec' ;;
    'research submit|--search-context-size') words='low medium high' ;;
    'research submit|--search-type') words='fast pro auto' ;;
    'research submit|--image-format') words='gif jpg png webp' ;;
    'research submit|--reasoning-effort') words='minimal low medium high xhigh max' ;;
    'research submit|--json-schema') words='@files' ;;
    'research submit|--stream-mode') words='full concise' ;;
    'research submit|-a'|'research submit|--attach') words='@files' ;;
    'research submit|-f'|'research submit|--format') words='text ndjson json' ;;
    'research submit|--api-key-file') words='@files' ;;
    'research run|-m'|'research run|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    'research run|--api') words='chat agent' ;;
    'research run|--search-recency') words='hour day week month year' ;;
    'research run|--search-mode') words='web academic sec' ;;
    'research run|--search-context-size') words='low medium high' ;;
    'research run|--search-type') words='fast pro auto' ;;
    'research run|--image-format') words='gif jpg png webp' ;;
    'research run|--reasoning-effort') words='minimal low medium high xhigh max' ;;
    'research run|--json-schema') words='@files' ;;
    'research run|--stream-mode') words='full concise' ;;
    'research run|-a'|'research run|--attach') words='@files' ;;
    'research run|-f'|'research run|--format') words='text ndjson json' ;;
    'research run|--api-key-file') words='@files' ;;
    'research wait|-f'|'research wait|--format') words='text ndjson json' ;;
    'research wait|--api-key-file') words='@files' ;;
    'research status|-f'|'research status|--format') words='text ndjson json' ;;
    'research status|--api-key-file') words='@files' ;;
    'research list|-f'|'research list|--format') words='text ndjson json' ;;
    'research list|--api-key-file') words='@files' ;;
    'key status|-f'|'key status|--format') words='text json' ;;
    'config list|-f'|'config list|--format') words='text json' ;;
    'logs|-m'|'logs|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    'logs|--status') words='ok partial error interrupted' ;;
    'logs|-f'|'logs|--format') words='text ndjson json' ;;
    'logs list|-m'|'logs list|--model') words='sonar sonar-pro sonar-reasoning-pro sonar-deep-research' ;;
    'logs list|--status') words='ok partial error interrupted' ;;
    'logs list|-f'|'logs list|--format') words='text ndjson json' ;;
    'logs show|-f'|'logs show|--format') words='text ndjson json' ;;
    'logs search|-f'|'logs search|--format') words='text ndjson json' ;;
    'logs stats|-f'|'logs stats|--format') words='text ndjson json' ;;
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
