"""The process's stdout and stderr as perplex writes to them: UTF-8 whatever the locale."""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


def text_stream(stream: Any) -> IO[str]:
    """The given stdout/stderr, writing UTF-8 whatever the locale says.

    A stream closed before perplex started (`>&-`) can be None in Python: /dev/null then.
    """
    if stream is None:
        return open(os.devnull, "w", encoding="utf-8")
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(encoding="utf-8", errors="replace")
        except (ValueError, OSError):
            pass
    return stream  # type: ignore[no-any-return]
