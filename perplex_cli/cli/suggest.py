"""'Did you mean': the one rule that finds the name a typo meant.

Commands, subcommands, options and config keys are all suggested by it, so a typo gets
the same answer wherever it is made: the candidates nearest to the word, when a couple
of keystrokes (a letter left out, added, changed or two swapped) turn one into the other.
"""

from __future__ import annotations

from collections.abc import Iterable


def distance(a: str, b: str) -> int:
    """Edits from a to b: insert, delete or change a letter, or swap two neighbours."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            best = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, rows[-2][j - 2] + 1)
            row.append(best)
        rows.append(row)
    return rows[-1][-1]


def closest(word: str, candidates: Iterable[str]) -> list[str]:
    """The candidates nearest to `word`, if near enough to be what it meant; else none.

    Near enough: one edit for a short word (up to four letters, dashes aside), two
    for a longer one. Ties are all returned, in the candidates' order.
    """
    limit = 1 if len(word.lstrip("-")) <= 4 else 2
    scored = [(distance(word.lower(), c.lower()), c) for c in dict.fromkeys(candidates)]
    near = [(d, c) for d, c in scored if 0 < d <= limit]
    if not near:
        return []
    best = min(d for d, _ in near)
    return [c for d, c in near if d == best]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """ " Did you mean 'x'?" (or 'x' or 'y'), or "" when nothing is near."""
    near = closest(word, candidates)
    if not near:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in near) + "?"
