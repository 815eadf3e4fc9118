"""The examples at the foot of a command's --help, in one format the docs can read back.

Kept apart from commandtree.py so that defining a command costs no more than this
module: commandtree's data classes are only needed to generate the docs.
"""

from __future__ import annotations

EXAMPLES_HEAD = "Examples:"


def examples_epilog(*examples: str) -> str:
    """An epilog listing examples, one per line, kept as written by click's help formatter."""
    return EXAMPLES_HEAD + "\n\n\b\n" + "\n".join(examples)


def epilog_examples(epilog: str) -> list[str]:
    """The example lines of an epilog written by `examples_epilog`."""
    head, _, body = (epilog or "").partition("\b\n")
    if head.strip() != EXAMPLES_HEAD:
        return []
    return [line for line in body.splitlines() if line.strip()]
