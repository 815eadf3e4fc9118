"""The shared options that shape the request: engine, limits, search filters, media, schema.

The typer declarations of those fields of `Options`; `cli/options.py` declares the options
of the run itself (output, connection, log) and adds both to a command.
"""

from __future__ import annotations

from typing import Annotated, Any

from perplex_cli.cli.declare import Flag, Str, Strs, one_of, opt
from perplex_cli.request.choices import (
    AGENT_TOOLS,
    CONTEXT_SIZES,
    IMAGE_FORMATS,
    OFFICE_SKILLS,
    REASONING_EFFORTS,
    RECENCIES,
    SEARCH_MODES,
    SEARCH_TYPES,
    STREAM_MODES,
)


def request_parameters() -> list[tuple[str, Any]]:
    """(name, annotation) of the options that become request fields, in --help order."""
    return [
        (
            "model",
            Annotated[
                str | None,
                opt(
                    "-m",
                    "--model",
                    help="Model [model]: without it the agent API uses preset fast, --api chat sonar; a Sonar name (sonar, sonar-pro, sonar-reasoning-pro, sonar-deep-research) becomes its agent API engine (perplex models); provider/model names are sent as given, with web search.",
                    metavar="NAME",
                ),
            ],
        ),
        (
            "api",
            Annotated[
                str | None,
                opt(
                    "--api",
                    help="Protocol [api]: agent (/v1/agent), the default: Perplexity's replacement for Sonar chat completions; or chat (/chat/completions), supported by Perplexity until 2026-09-27 (env PERPLEX_API).",
                    metavar="API",
                ),
            ],
        ),
        (
            "preset",
            Annotated[
                str | None,
                opt(
                    "--preset",
                    help="Agent API preset [preset]: fast (the default), low, medium, high or xhigh; wins over a Sonar -m.",
                    metavar="NAME",
                ),
            ],
        ),
        (
            "tool",
            Annotated[
                Strs,
                opt(
                    "--tool",
                    help=f"Agent API only: offer this tool too; repeatable [tools]: {one_of(AGENT_TOOLS)}. A named model then picks its tools itself (web search is no longer forced) and runs 3 steps unless told otherwise.",
                    metavar="TOOL",
                ),
            ],
        ),
        (
            "skill",
            Annotated[
                Strs,
                opt(
                    "--skill",
                    help=f"Agent API only: a built-in skill, run in the sandbox; repeatable [skills: builtin]: {one_of(OFFICE_SKILLS)}. The documents it makes are listed after the sources.",
                    metavar="NAME",
                ),
            ],
        ),
        (
            "max_steps",
            Annotated[
                int | None,
                opt(
                    "--max-steps",
                    help="Agent API only: most steps of the run, 1..100 [max_steps]; a named model takes 1 step unless told (3 with --tool or --skill).",
                    metavar="N",
                ),
            ],
        ),
        (
            "web_max_results",
            Annotated[
                int | None,
                opt(
                    "--max-results",
                    help="Agent API only: results per web search, 1..50 [tools: web_search.max_results].",
                    metavar="N",
                ),
            ],
        ),
        (
            "models",
            Annotated[
                Str,
                opt(
                    "--models",
                    help="Agent API only: fallback chain of up to 5 provider/model names, tried in order [models]; wins over -m.",
                    metavar="A,B,C",
                ),
            ],
        ),
        (
            "save_files",
            Annotated[
                Str,
                opt(
                    "--save-files",
                    help="Agent API only: download the files the run delivers into DIR (created if missing); an existing file is never replaced: the new one gets a free name (report-2.csv).",
                    metavar="DIR",
                ),
            ],
        ),
        (
            "system",
            Annotated[
                str | None,
                opt("-s", "--system", help="System message [messages].", metavar="TEXT"),
            ],
        ),
        (
            "max_tokens",
            Annotated[
                int | None,
                opt(
                    "--max-tokens",
                    help="Longest answer in tokens [max_tokens], > 0; on the agent API [max_output_tokens], default 8192 for anthropic/* models, which require it.",
                    metavar="N",
                ),
            ],
        ),
        (
            "temperature",
            Annotated[
                float | None,
                opt("--temperature", help="Randomness 0..2 [temperature].", metavar="X"),
            ],
        ),
        (
            "top_p",
            Annotated[
                float | None,
                opt("--top-p", help="Nucleus sampling [top_p]: 0..1.", metavar="X"),
            ],
        ),
        (
            "stop",
            Annotated[
                Strs,
                opt(
                    "--stop",
                    help="Stop generating at this text [stop]: a string; repeated, a list.",
                    metavar="TEXT",
                ),
            ],
        ),
        (
            "search_domain",
            Annotated[
                Strs,
                opt(
                    "--search-domain",
                    help="Search only this domain, or never it with a leading '-' (-pinterest.com); repeatable, at most 20 [search_domain_filter].",
                    metavar="DOMAIN",
                ),
            ],
        ),
        (
            "search_recency",
            Annotated[
                Str,
                opt(
                    "--search-recency",
                    help=f"Only results published in the last [search_recency_filter]: {one_of(RECENCIES)}. Not with --search-after/--search-before.",
                    metavar="PERIOD",
                ),
            ],
        ),
        (
            "search_after",
            Annotated[
                Str,
                opt(
                    "--search-after",
                    help="Only results published after [search_after_date_filter]: YYYY-MM-DD or M/D/YYYY.",
                    metavar="DATE",
                ),
            ],
        ),
        (
            "search_before",
            Annotated[
                Str,
                opt(
                    "--search-before",
                    help="Only results published before [search_before_date_filter]: YYYY-MM-DD or M/D/YYYY.",
                    metavar="DATE",
                ),
            ],
        ),
        (
            "updated_after",
            Annotated[
                Str,
                opt(
                    "--updated-after",
                    help="Only pages updated after [last_updated_after_filter]: YYYY-MM-DD or M/D/YYYY.",
                    metavar="DATE",
                ),
            ],
        ),
        (
            "updated_before",
            Annotated[
                Str,
                opt(
                    "--updated-before",
                    help="Only pages updated before [last_updated_before_filter]: YYYY-MM-DD or M/D/YYYY.",
                    metavar="DATE",
                ),
            ],
        ),
        (
            "search_mode",
            Annotated[
                Str,
                opt(
                    "--search-mode",
                    help=f"Where to search [search_mode]: {one_of(SEARCH_MODES)}.",
                    metavar="MODE",
                ),
            ],
        ),
        (
            "search_context_size",
            Annotated[
                Str,
                opt(
                    "--search-context-size",
                    help=f"How much search context [web_search_options.search_context_size]: {one_of(CONTEXT_SIZES)}.",
                    metavar="SIZE",
                ),
            ],
        ),
        (
            "search_type",
            Annotated[
                Str,
                opt(
                    "--search-type",
                    help=f"Search depth [web_search_options.search_type]: {one_of(SEARCH_TYPES)} (pro needs streaming).",
                    metavar="TYPE",
                ),
            ],
        ),
        (
            "location",
            Annotated[
                Str,
                opt(
                    "--location",
                    help="Search as if from here [web_search_options.user_location]: LAT,LON[,CC], e.g. 48.85,2.35,FR.",
                    metavar="LAT,LON[,CC]",
                ),
            ],
        ),
        (
            "language",
            Annotated[
                Str,
                opt(
                    "--language",
                    help="Answer language [language_preference]: an ISO 639-1 code (en, de, fr, ...).",
                    metavar="LANG",
                ),
            ],
        ),
        (
            "images",
            Annotated[
                Flag, opt("--images", help="Return images with the answer [return_images: true].")
            ],
        ),
        (
            "image_domain",
            Annotated[
                Strs,
                opt(
                    "--image-domain",
                    help="Images only from this domain, or never from it with '-'; repeatable, at most 10 [image_domain_filter].",
                    metavar="DOMAIN",
                ),
            ],
        ),
        (
            "image_format",
            Annotated[
                Strs,
                opt(
                    "--image-format",
                    help=f"Images only in this format; repeatable [image_format_filter]: {one_of(IMAGE_FORMATS)}.",
                    metavar="FORMAT",
                ),
            ],
        ),
        (
            "related_questions",
            Annotated[
                Flag,
                opt(
                    "--related-questions",
                    help="Return related questions [return_related_questions: true].",
                ),
            ],
        ),
        (
            "reasoning_effort",
            Annotated[
                Str,
                opt(
                    "--reasoning-effort",
                    help=f"How hard reasoning models think [reasoning_effort]: {one_of(REASONING_EFFORTS)}; xhigh and max on the agent API only [reasoning.effort].",
                    metavar="EFFORT",
                ),
            ],
        ),
        (
            "no_search",
            Annotated[
                Flag,
                opt(
                    "--no-search",
                    help="Answer without searching the web [disable_search: true; agent API: no web_search tool].",
                ),
            ],
        ),
        (
            "json_schema",
            Annotated[
                Str,
                opt(
                    "--json-schema",
                    help="Answer as JSON matching this JSON Schema: a FILE, '-' (stdin) or inline JSON ({...}) [response_format: json_schema].",
                    metavar="FILE",
                ),
            ],
        ),
        (
            "stream_mode",
            Annotated[
                Str,
                opt(
                    "--stream-mode",
                    help=f"Stream format [stream_mode]: {one_of(STREAM_MODES)} (concise streams reasoning steps).",
                    metavar="MODE",
                ),
            ],
        ),
        (
            "option",
            Annotated[
                Strs,
                opt(
                    "-o",
                    "--option",
                    help="Set any body field; VALUE is JSON when it parses, else a string; dotted keys nest (-o web_search_options.search_context_size=high); overrides the flags; repeatable.",
                    metavar="KEY=VALUE",
                ),
            ],
        ),
        (
            "attach",
            Annotated[
                Strs,
                opt(
                    "-a",
                    "--attach",
                    help="Attach an image (png, jpeg, webp, gif) or a document (pdf, doc, docx, txt, rtf), a local file up to 50 MB ('-': stdin, type sniffed) or an https URL; repeatable [messages: image_url, file_url].",
                    metavar="PATH|URL",
                ),
            ],
        ),
    ]
