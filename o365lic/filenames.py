"""Download file names: what the file holds, the organization and the date.

``Office 365 Licenses - Café Müller GmbH - 2026-11-26.xlsx``: readable, accents kept, the
characters Windows or macOS refuse in a file name removed. One function names every download
on the pages and every default file name of the command line.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

__all__ = ["MAX_PART", "download_name", "safe_part"]

#: The longest organization (or title) kept in a name; Windows allows 255 characters in all.
MAX_PART = 100
_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$", re.IGNORECASE)


def safe_part(text: object, limit: int = MAX_PART) -> str:
    """``text`` fit for a file name: control and illegal characters become spaces, spaces are
    collapsed, leading dots and trailing dots or spaces dropped (Windows trims them, macOS
    hides a leading dot), a reserved Windows device name (``CON``, ``NUL`` ...) gets a ``_``."""
    value = unicodedata.normalize("NFC", "" if text is None else str(text))
    value = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in value)
    value = " ".join(_ILLEGAL.sub(" ", value).split())
    value = value[:limit].lstrip(". ").rstrip(". ")
    if _RESERVED.match(value):
        value = "_" + value
    return value


def download_name(title: str, organization: str | None, extension: str, *,
                  on: date | datetime | None = None) -> str:
    """``{title} - {organization} - {YYYY-MM-DD}.{extension}`` (the organization left out when
    there is none, e.g. a download across all organizations). The date is today in UTC unless
    ``on`` is given."""
    day = on if on is not None else datetime.now(UTC)
    if isinstance(day, datetime):
        day = (day.astimezone(UTC) if day.tzinfo else day).date()
    parts = [safe_part(title) or "Export", safe_part(organization), day.isoformat()]
    suffix = safe_part(extension.lstrip("."), 10).lower()
    return " - ".join(p for p in parts if p) + (f".{suffix}" if suffix else "")
