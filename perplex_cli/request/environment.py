"""The environment variables perplex reads, and what each means: one table.

The man page, docs/cli.md and docs/keys-config-network.md are generated from it
(`python scripts/gen_docs.py`); tests/test_docs.py checks that every variable the code
reads is listed here.
"""

from __future__ import annotations

# (variables, meaning); several variables that mean one thing share a row.
ENVIRONMENT: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("PERPLEXITY_API_KEY", "PPLX_API_KEY"),
        "The API key, looked up in this order after --api-key-file. No option takes the key "
        "itself: keys do not belong in argv or shell history.",
    ),
    (
        ("PERPLEXITY_BASE_URL",),
        "The API base URL (default https://api.perplexity.ai); --base-url wins over it.",
    ),
    (
        ("PERPLEX_API",),
        "chat or agent: the API that answers, as the config key api chooses it, and winning "
        "over that key; --api wins over both.",
    ),
    (
        ("PERPLEX_CONFIG",),
        "The config file, instead of $XDG_CONFIG_HOME/perplex/config.toml.",
    ),
    (
        ("PERPLEX_LOG_DB",),
        "The local log database, instead of $XDG_DATA_HOME/perplex/logs.db.",
    ),
    (
        ("PERPLEX_RETRY_BASE",),
        "The first retry delay in seconds (default 1); it doubles at each retry.",
    ),
    (("XDG_CONFIG_HOME",), "Where the config and key files live (default ~/.config)."),
    (
        ("XDG_DATA_HOME",),
        "Where the local log and the chat history live (default ~/.local/share).",
    ),
    (("NO_COLOR",), "Any non-empty value: plain output, no escape sequences on any stream."),
    (
        ("FORCE_COLOR",),
        "Styled output even when a stream is not a terminal (the values 0 and false do not "
        "count); cursor movement still only on a terminal. NO_COLOR, --no-color and -q win "
        "over it.",
    ),
    (("TERM",), "dumb means plain output."),
    (
        ("PAGER",),
        "The pager of a perplex logs listing taller than the terminal (default less, with "
        "LESS=FRX unless LESS is set); cat or an empty value turns paging off.",
    ),
    (
        ("VISUAL", "EDITOR"),
        "The editor that chat's /edit opens, in this order (default vi).",
    ),
    (
        ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"),
        "Proxies, as curl reads them; --proxy wins over them.",
    ),
    (
        ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
        "A CA bundle to verify TLS with (a TLS-inspecting proxy's); verification is always on.",
    ),
)
