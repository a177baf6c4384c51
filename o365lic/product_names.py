"""Microsoft's product names for SKUs: fetched from Microsoft's licensing reference CSV.

Microsoft publishes "Product names and service plan identifiers for licensing" as a CSV
(``O365LIC_PRODUCT_NAMES_URL``). A sync refreshes the copy in the database when it is a
week old; if Microsoft cannot be reached the last copy (or the built-in names, or the SKU
part number) is used and the sync goes on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from o365lic.config import DEFAULT_TIMEOUT, Settings
from o365lic.graph import build_session
from o365lic.licenses import parse_product_names
from o365lic.store import Store, product_names_loaded_at, save_product_names

__all__ = ["DOWNLOAD_TIMEOUT", "MAX_AGE", "ProductNamesError", "fetch_product_names", "refresh_if_stale",
           "refresh_product_names"]

MAX_AGE = timedelta(days=7)
log = logging.getLogger(__name__)


#: The product names file is larger than a Graph page: the same connect timeout, a longer read.
DOWNLOAD_TIMEOUT: tuple[float, float] = (DEFAULT_TIMEOUT[0], 60.0)


class ProductNamesError(RuntimeError):
    """The product names file could not be fetched or read."""


def fetch_product_names(settings: Settings, url: str | None = None) -> dict[str, str]:
    """Download and parse Microsoft's product names CSV."""
    source = url or settings.product_names_url
    try:
        with build_session(settings, DOWNLOAD_TIMEOUT) as session:
            response = session.get(source)
    except requests.RequestException as exc:
        raise ProductNamesError(f"could not download the product names from {source}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise ProductNamesError(f"could not download the product names from {source}: HTTP {response.status_code}")
    try:
        return parse_product_names(response.content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProductNamesError(f"{source} is not Microsoft's product names file: {exc}") from None


def refresh_product_names(store: Store, settings: Settings, *, file: Path | None = None,
                          url: str | None = None) -> int:
    """Load product names from ``file`` or download them; returns how many SKUs are named."""
    if file is not None:
        try:
            names = parse_product_names(Path(file).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ProductNamesError(f"cannot read {file}: {exc}") from None
    else:
        names = fetch_product_names(settings, url)
    save_product_names(store, names)
    return len(names)


def refresh_if_stale(store: Store, settings: Settings, max_age: timedelta = MAX_AGE) -> str | None:
    """Refresh the names when older than ``max_age``; returns a warning instead of raising."""
    loaded = product_names_loaded_at(store)
    if loaded is not None and datetime.now(UTC) - loaded < max_age:
        return None
    try:
        refresh_product_names(store, settings)
    except ProductNamesError as exc:
        log.warning("%s; using the names already known", exc)
        return str(exc)
    return None
