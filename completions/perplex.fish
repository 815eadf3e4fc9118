# fish completion for perplex(1): generated from the perplex command tree by scripts/gen_docs.py; do not edit.

function __perplex_commands
    switch "$argv[1]"
        case ''
            printf '%s\n' ask completions
    end
end

function __perplex_valued
    switch "$argv[1]"
        case ''
            printf '%s\n' -m --model -s --system --max-tokens --temperature -f --format --base-url --timeout --connect-timeout --retries
        case 'ask'
            printf '%s\n' -m --model -s --system --max-tokens --temperature -f --format --base-url --timeout --connect-timeout --retries
    end
end

function __perplex_default
    switch "$argv[1]"
        case ''
            printf '%s\n' ask
    end
end

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
complete -c perplex -n '__perplex_at \'\'' -a ask -d 'Ask one question and stream the cited answer'
complete -c perplex -n '__perplex_at \'\'' -a completions -d 'Print the completion script for bash, zsh or fish'
complete -c perplex -n '__perplex_at \'\'' -l version -d 'Print the version and exit'
complete -c perplex -n '__perplex_at \'\'' -s h -l help -d 'Show this message and exit'
complete -c perplex -n '__perplex_at \'\'' -l ignore-stdin -d 'Never read stdin'
complete -c perplex -n '__perplex_at \'\'' -s m -l model -x -a 'sonar sonar-pro sonar-reasoning-pro sonar-deep-research' -d 'Model [model] (default sonar; see perplex models)'
complete -c perplex -n '__perplex_at \'\'' -s s -l system -x -d 'System message [messages]'
complete -c perplex -n '__perplex_at \'\'' -l max-tokens -x -d 'Longest answer in tokens [max_tokens], > 0'
complete -c perplex -n '__perplex_at \'\'' -l temperature -x -d 'Randomness 0..2 [temperature]'
complete -c perplex -n '__perplex_at \'\'' -s f -l format -x -a 'text ndjson json' -d 'Output: text, ndjson or json (default text)'
complete -c perplex -n '__perplex_at \'\'' -l reasoning -d 'Show the model\'s reasoning on stderr'
complete -c perplex -n '__perplex_at \'\'' -l no-citations -d 'Do not list the sources after a text answer'
complete -c perplex -n '__perplex_at \'\'' -s q -l quiet -d 'No retry notices, warnings or progress on stderr; plain output'
complete -c perplex -n '__perplex_at \'\'' -l render -d 'On a terminal, show the answer as formatted Markdown with linked so...'
complete -c perplex -n '__perplex_at \'\'' -l usage -d 'After the answer, print tokens, searches and cost on stderr'
complete -c perplex -n '__perplex_at \'\'' -l no-color -d 'No colour, styles, links or spinner (as NO_COLOR does)'
complete -c perplex -n '__perplex_at \'\'' -l base-url -x -d 'API base URL (default https://api.perplexity.ai; env PERPLEXITY_BAS...'
complete -c perplex -n '__perplex_at \'\'' -l timeout -x -d 'Longest silence allowed between bytes, in seconds (default 300)'
complete -c perplex -n '__perplex_at \'\'' -l connect-timeout -x -d 'Seconds allowed to connect (default 10)'
complete -c perplex -n '__perplex_at \'\'' -l retries -x -d 'Retries before the answer starts, on connection errors, 408, 409, 4...'
complete -c perplex -n '__perplex_at \'ask\'' -l ignore-stdin -d 'Never read stdin'
complete -c perplex -n '__perplex_at \'ask\'' -s m -l model -x -a 'sonar sonar-pro sonar-reasoning-pro sonar-deep-research' -d 'Model [model] (default sonar; see perplex models)'
complete -c perplex -n '__perplex_at \'ask\'' -s s -l system -x -d 'System message [messages]'
complete -c perplex -n '__perplex_at \'ask\'' -l max-tokens -x -d 'Longest answer in tokens [max_tokens], > 0'
complete -c perplex -n '__perplex_at \'ask\'' -l temperature -x -d 'Randomness 0..2 [temperature]'
complete -c perplex -n '__perplex_at \'ask\'' -s f -l format -x -a 'text ndjson json' -d 'Output: text, ndjson or json (default text)'
complete -c perplex -n '__perplex_at \'ask\'' -l reasoning -d 'Show the model\'s reasoning on stderr'
complete -c perplex -n '__perplex_at \'ask\'' -l no-citations -d 'Do not list the sources after a text answer'
complete -c perplex -n '__perplex_at \'ask\'' -s q -l quiet -d 'No retry notices, warnings or progress on stderr; plain output'
complete -c perplex -n '__perplex_at \'ask\'' -l render -d 'On a terminal, show the answer as formatted Markdown with linked so...'
complete -c perplex -n '__perplex_at \'ask\'' -l usage -d 'After the answer, print tokens, searches and cost on stderr'
complete -c perplex -n '__perplex_at \'ask\'' -l no-color -d 'No colour, styles, links or spinner (as NO_COLOR does)'
complete -c perplex -n '__perplex_at \'ask\'' -l base-url -x -d 'API base URL (default https://api.perplexity.ai; env PERPLEXITY_BAS...'
complete -c perplex -n '__perplex_at \'ask\'' -l timeout -x -d 'Longest silence allowed between bytes, in seconds (default 300)'
complete -c perplex -n '__perplex_at \'ask\'' -l connect-timeout -x -d 'Seconds allowed to connect (default 10)'
complete -c perplex -n '__perplex_at \'ask\'' -l retries -x -d 'Retries before the answer starts, on connection errors, 408, 409, 4...'
complete -c perplex -n '__perplex_at \'ask\'' -s h -l help -d 'Show this message and exit'
complete -c perplex -n '__perplex_at \'completions\'' -s h -l help -d 'Show this message and exit'
complete -c perplex -n '__perplex_at \'completions\'' -a 'bash zsh fish'
