"""A conversation: its id, its system message and the turns that become the next request's history.

The API accepts messages in one order only: system first, then user and assistant strictly
alternating, ending with the new user turn. Only complete turns (status ok, with an answer)
enter the history, as a user/assistant pair each, so the order holds whatever failed in
between; sources are not pasted into the assistant text.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

# Lower-case letters and digits without the look-alikes (l, o, 0, 1); an id starts with a
# letter so that it can never be mistaken for the number of an exchange.
_LETTERS = "abcdefghijkmnpqrstuvwxyz"
_ALPHABET = _LETTERS + "23456789"  # 32 characters: 5 bits each
ID_LENGTH = 10


def new_id() -> str:
    """A fresh conversation id, short enough to type (about 49 bits).

    The 32 characters of the alphabet take 5 random bits each, all drawn at once: a batch
    makes one id per answer, and a draw per character cost a system call each."""
    bits = secrets.randbits(5 * (ID_LENGTH - 1))
    return secrets.choice(_LETTERS) + "".join(
        _ALPHABET[(bits >> shift) & 31] for shift in range(0, 5 * (ID_LENGTH - 1), 5)
    )


@dataclass
class Conversation:
    """The running state of one conversation."""

    id: str = field(default_factory=new_id)
    system: str | None = None
    turns: list[tuple[str, str]] = field(default_factory=list)  # (prompt, answer), complete ones
    # The request body of its last logged exchange: the API and engine to continue on.
    request: Any = None

    def add(self, prompt: str, answer: str) -> None:
        """Keep a complete turn for the history; an empty side would break the alternation."""
        if prompt.strip() and answer.strip():
            self.turns.append((prompt, answer))

    def history(self) -> list[dict[str, Any]]:
        """The earlier turns as messages, oldest first, without the system message."""
        messages: list[dict[str, Any]] = []
        for prompt, answer in self.turns:
            messages.append({"role": "user", "content": prompt})
            messages.append({"role": "assistant", "content": answer})
        return messages
