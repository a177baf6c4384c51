"""Settings from the environment and `.streamlit/secrets.toml` (SPEC section 5).

Environment variables win over the `[o365lic]` section of secrets.toml, whose keys are
the same names in lower case, with or without the ``o365lic_`` prefix (``client_id``).
Secrets live only in the returned object, whose ``repr`` hides them; nothing here writes them anywhere.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_AUTHORITY_HOST",
    "DEFAULT_DB",
    "DEFAULT_GRAPH_URL",
    "DEFAULT_PRODUCT_NAMES_URL",
    "DEFAULT_TIMEOUT",
    "MAX_ATTEMPTS",
    "MAX_BACKOFF_S",
    "MAX_RETRY_AFTER_S",
    "ConfigError",
    "Settings",
    "load_settings",
    "split_targets",
]

DEFAULT_DB = "data/o365lic.duckdb"
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_CONCURRENCY = 32
#: (connect, read) timeout in seconds of every request to Microsoft sign-in and Graph.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)
#: Attempts of one sign-in or Graph call (the first try included) on 429, 5xx or a broken answer.
MAX_ATTEMPTS = 5
#: Longest back-off between attempts when Microsoft sends no Retry-After, in seconds.
MAX_BACKOFF_S = 30.0
#: Longest wait o365lic honours from a Retry-After header, in seconds. Graph can ask for
#: 300 s; waiting that long per attempt would hold a sync for many minutes, so the wait is
#: cut to this cap and the cut is logged and named in the error if the call still fails.
MAX_RETRY_AFTER_S = 120.0
#: Microsoft's "Product names and service plan identifiers for licensing" CSV.
DEFAULT_PRODUCT_NAMES_URL = (
    "https://download.microsoft.com/download/e/3/e/e3e9faf2-f28b-490a-9ada-c6089a1fc5b0/"
    "Product%20names%20and%20service%20plan%20identifiers%20for%20licensing.csv"
)
SECRETS_FILE = Path(".streamlit/secrets.toml")

_KEYS = (
    "O365LIC_DB",
    "O365LIC_CLIENT_ID",
    "O365LIC_CLIENT_SECRET",
    "O365LIC_CLIENT_CERT",
    "O365LIC_CLIENT_CERT_THUMBPRINT",
    "O365LIC_AUTHORITY_HOST",
    "O365LIC_GRAPH_URL",
    "O365LIC_CA_BUNDLE",
    "O365LIC_CONCURRENCY",
    "O365LIC_PARTNER_TENANT",
    "O365LIC_PRODUCT_NAMES_URL",
    "O365LIC_NOTIFY_URLS",
)


class ConfigError(ValueError):
    """A setting has a value the app cannot use; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """Resolved settings. ``client_secret`` is excluded from ``repr``."""

    db_path: Path = Path(DEFAULT_DB)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    client_cert: Path | None = None
    client_cert_thumbprint: str | None = None
    authority_host: str = DEFAULT_AUTHORITY_HOST
    graph_url: str = DEFAULT_GRAPH_URL
    ca_bundle: Path | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    partner_tenant: str | None = None
    product_names_url: str = DEFAULT_PRODUCT_NAMES_URL
    demo: bool = False
    notify_urls: str | None = field(default=None, repr=False)  # a secret (apprise URLs hold passwords)

    @property
    def demo_mode(self) -> bool:
        """True when no app registration is configured (or the simulator was filled in)."""
        return self.demo or not self.client_id

    @property
    def graph_resource(self) -> str:
        """The Graph resource (scheme and host) whose ``/.default`` scope is requested."""
        parts = urlsplit(self.graph_url)
        return f"{parts.scheme}://{parts.netloc}"

    def with_simulator(
        self, *, authority_host: str, graph_url: str, ca_bundle: str | Path,
        client_id: str, client_secret: str, partner_tenant: str | None = None,
        product_names_url: str | None = None,
    ) -> Settings:
        """These settings pointed at a Microsoft 365 simulator (demo mode)."""
        return replace(
            self, authority_host=authority_host.rstrip("/"), graph_url=graph_url.rstrip("/"),
            ca_bundle=Path(ca_bundle), client_id=client_id, client_secret=client_secret,
            client_cert=None, client_cert_thumbprint=None, partner_tenant=partner_tenant,
            product_names_url=product_names_url or self.product_names_url, demo=True,
        )


def _read_secrets(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} could not be read: {exc}") from None
    section = data.get("o365lic", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [o365lic] must be a table of settings")
    values: dict[str, str] = {}
    for key, value in section.items():
        name = str(key).upper()
        if not name.startswith("O365LIC_"):
            name = f"O365LIC_{name}"  # client_id and o365lic_client_id both mean O365LIC_CLIENT_ID
        if value is not None:
            values[name] = str(value)
    return values


def _https_url(name: str, value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigError(f"{name} must be an https:// URL (got {value!r})")
    return value


def load_settings(
    environ: Mapping[str, str] | None = None, secrets_file: Path | str | None = None
) -> Settings:
    """Read settings from ``environ`` (default ``os.environ``) over secrets.toml."""
    env = os.environ if environ is None else environ
    values = _read_secrets(Path(secrets_file) if secrets_file else SECRETS_FILE)
    for key in _KEYS:
        if env.get(key, "").strip():
            values[key] = env[key].strip()

    def get(key: str) -> str | None:
        value = values.get(key, "").strip()
        return value or None

    raw_concurrency = get("O365LIC_CONCURRENCY") or str(DEFAULT_CONCURRENCY)
    try:
        concurrency = int(raw_concurrency)
    except ValueError:
        raise ConfigError(f"O365LIC_CONCURRENCY must be a whole number (got {raw_concurrency!r})") from None
    if not 1 <= concurrency <= 256:
        raise ConfigError(f"O365LIC_CONCURRENCY must be between 1 and 256 (got {concurrency})")

    cert = get("O365LIC_CLIENT_CERT")
    thumbprint = get("O365LIC_CLIENT_CERT_THUMBPRINT")
    if cert and not thumbprint:
        raise ConfigError("O365LIC_CLIENT_CERT needs O365LIC_CLIENT_CERT_THUMBPRINT as well")
    client_id = get("O365LIC_CLIENT_ID")
    secret = get("O365LIC_CLIENT_SECRET")
    if client_id and not (secret or cert):
        raise ConfigError(
            "O365LIC_CLIENT_ID is set but neither O365LIC_CLIENT_SECRET nor O365LIC_CLIENT_CERT is"
        )
    ca_bundle = get("O365LIC_CA_BUNDLE")
    if ca_bundle and not Path(ca_bundle).is_file():
        raise ConfigError(f"O365LIC_CA_BUNDLE names a file that does not exist: {ca_bundle}")

    return Settings(
        db_path=Path(get("O365LIC_DB") or DEFAULT_DB),
        client_id=client_id,
        client_secret=secret,
        client_cert=Path(cert) if cert else None,
        client_cert_thumbprint=thumbprint,
        authority_host=_https_url("O365LIC_AUTHORITY_HOST", get("O365LIC_AUTHORITY_HOST") or DEFAULT_AUTHORITY_HOST),
        graph_url=_https_url("O365LIC_GRAPH_URL", get("O365LIC_GRAPH_URL") or DEFAULT_GRAPH_URL),
        ca_bundle=Path(ca_bundle) if ca_bundle else None,
        concurrency=concurrency,
        partner_tenant=get("O365LIC_PARTNER_TENANT"),
        product_names_url=_https_url(
            "O365LIC_PRODUCT_NAMES_URL", get("O365LIC_PRODUCT_NAMES_URL") or DEFAULT_PRODUCT_NAMES_URL),
        notify_urls=get("O365LIC_NOTIFY_URLS"),
    )


_SPLIT = re.compile(r"[\s,]+(?=[A-Za-z][A-Za-z0-9+.-]*://)|\s+")


def split_targets(urls: str | Sequence[str] | None) -> list[str]:
    """The apprise URLs in a setting's text (separated by spaces, newlines or commas) or a list."""
    if urls is None:
        return []
    items = [urls] if isinstance(urls, str) else list(urls)
    out: list[str] = []
    for item in items:
        out.extend(u.strip().rstrip(",") for u in _SPLIT.split(item or "") if u.strip().rstrip(","))
    return out
