"""Names from customers' tenants and from people are data: clean them before they are kept.

Control characters (NUL, ANSI escape sequences, other C0/C1 codes) are removed, runs of
whitespace become one space, and a name is capped at :data:`MAX_NAME_LENGTH` characters.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_NAME_LENGTH", "clean_name"]

#: The longest organization, tenant, license or person name that is kept.
MAX_NAME_LENGTH = 256

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_SPACE = re.compile(r"\s+")


def clean_name(text: object, max_length: int = MAX_NAME_LENGTH) -> str:
    """The name without control characters or escape sequences, trimmed and capped."""
    if text is None:
        return ""
    value = _ANSI.sub("", str(text))
    value = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in value
        if ch in "\t\r\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
        or ch in "\u200d"  # zero-width joiner: part of some scripts and emoji
    )
    value = _SPACE.sub(" ", value).strip()
    return value[:max_length].rstrip()
