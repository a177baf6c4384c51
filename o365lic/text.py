"""Names from customers' tenants and from people are data: clean them before they are kept.

Control characters (NUL, ANSI escape sequences, other C0/C1 codes) are removed, runs of
whitespace become one space, and a name is capped at :data:`MAX_NAME_LENGTH` characters.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["MAX_NAME_LENGTH", "clean_name", "scrub_secrets", "secret_forms"]

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


def secret_forms(secret: str) -> set[str]:
    """The ways a secret can appear in a message: plain, URL-encoded, JSON-escaped, base64."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret),
             json.dumps(secret)[1:-1]}
    raw = secret.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(raw).decode()
        forms |= {text, text.rstrip("=")}
    forms |= {f.lower() for f in list(forms) if "%" in f}
    return {f for f in forms if len(f) >= 4}


def scrub_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """The text with every form of every secret replaced by ``***``."""
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= 4:
            forms |= secret_forms(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text
