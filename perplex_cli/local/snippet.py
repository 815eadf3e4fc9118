"""The excerpt `logs search` shows for a match, computed over a bounded window.

FTS5 finds the exchanges; its `snippet()` costs time in the square of a word's repeats
within one exchange (80,000 repeats: 46 s). Here the excerpt is cut around the first place
a search word appears (as a word's start, less a common ending: "magnets" finds "magnet", as
the stemming index does), with the words found marked «so» and … where text was left out. Finding that place
is one regular-expression search; marking works on a few hundred characters.
"""

from __future__ import annotations

import re
import unicodedata

BEFORE = 4  # words shown before the first match
AFTER = 8  # words shown from the first match on
_REACH = 400  # characters looked at on either side of the match for those words


def snippet(words: list[str], *texts: str | None) -> str:
    """An excerpt of the first of `texts` that holds a search word, its matches marked."""
    pattern = _pattern(words)
    present = [text for text in texts if text]
    for text in present:
        found = pattern.search(text) if pattern else None
        if found:
            return _around(text, found.start(), pattern)
    return _around(present[0], 0, pattern) if present else ""


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    roots = {_root(token) for word in words for token in re.findall(r"\w+", _plain(word))}
    roots.discard("")
    if not roots:
        return None
    alternatives = "|".join(re.escape(r) for r in sorted(roots, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


def _plain(word: str) -> str:
    """Lower case without diacritics, as the index compares words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_SUFFIXES = ("ing", "ies", "ied", "ed", "es", "ly", "er", "s", "e", "y")


def _root(token: str) -> str:
    """The start that the forms of a word share: "scattering", "scatters" -> "scatter"."""
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def _around(text: str, at: int, pattern: re.Pattern[str] | None) -> str:
    start = max(0, at - _REACH)
    before = text[start:at].split()
    if before and start > 0:
        before = before[1:]  # the first word may have been cut by the window
    after = text[at : at + _REACH].split()
    shown_before = before[-BEFORE:] if BEFORE else []
    shown_after = after[:AFTER]
    excerpt = " ".join(shown_before + shown_after)
    if pattern:
        excerpt = pattern.sub(lambda m: f"«{m.group()}»", excerpt)
    head = "…" if start > 0 or len(before) > len(shown_before) else ""
    tail = "…" if at + _REACH < len(text) or len(after) > len(shown_after) else ""
    return head + excerpt + tail
