"""Microsoft Graph client: MSAL app-only tokens, a requests session, retries, paging, errors.

One :class:`GraphConnector` per process signs in to every customer tenant with the same
multi-tenant app registration and one shared MSAL token cache (a token is reused until it
expires). :class:`GraphClient` talks to one tenant and counts its requests and retries.
Nothing here logs or raises a token or a secret.
"""

from __future__ import annotations

import email.utils
import random
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urlsplit

import msal
import requests

from o365lic.config import Settings

__all__ = [
    "GraphClient",
    "GraphConnector",
    "GraphError",
    "SignInError",
    "build_session",
    "is_tenant_guid",
    "parse_retry_after",
    "resolve_tenant_id",
    "validate_tenant_input",
]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ISSUER_TENANT = re.compile(r"/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(/|$)")
RETRY_STATUSES = frozenset({429, 503, 504})
MAX_RETRY_AFTER_S = 120.0


class GraphError(RuntimeError):
    """A Graph call that failed: names the tenant, the call, Graph's code and message."""

    def __init__(
        self, message: str, *, tenant_id: str, call: str,
        status: int | None = None, code: str | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.call = call
        self.status = status
        self.code = code or "Error"
        self.message = message
        super().__init__(f"tenant {tenant_id}: {call} failed: {self.code}: {message}")


class SignInError(GraphError):
    """The app could not get a token for the tenant (bad tenant, secret, or no consent)."""


def is_tenant_guid(text: str) -> bool:
    """True when ``text`` is a GUID such as a tenant id."""
    return bool(_GUID.match(text.strip()))


def validate_tenant_input(text: str) -> str:
    """A tenant id (GUID, lower case) or verified domain from user input, else ValueError."""
    value = text.strip().lower()
    if is_tenant_guid(value) or _DOMAIN.match(value):
        return value
    raise ValueError(
        f"{text.strip()!r} is not a tenant id (a GUID such as "
        "72f988bf-86f1-41af-91ab-2d7cd011db47) or a domain such as contoso.onmicrosoft.com"
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (fractional seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


class _TimeoutSession(requests.Session):
    """A session that gives every request a timeout unless the caller set one."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        if kwargs["timeout"] is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


_bundle_lock = threading.Lock()
_bundles: dict[tuple[str, float], str] = {}


def _merged_ca_bundle(extra: Path) -> str:
    """A file trusting the usual public CAs plus ``extra`` (made once per process)."""
    key = (str(extra.resolve()), extra.stat().st_mtime)
    with _bundle_lock:
        if key not in _bundles:
            import os

            import certifi

            parts = [Path(certifi.where()).read_text()]
            env_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if env_bundle and Path(env_bundle).is_file():
                parts.append(Path(env_bundle).read_text())
            parts.append(extra.read_text())
            fh = tempfile.NamedTemporaryFile("w", prefix="o365lic-ca-", suffix=".pem", delete=False)
            with fh:
                fh.write("\n".join(parts))
            _bundles[key] = fh.name
        return _bundles[key]


def build_session(
    settings: Settings, timeout: tuple[float, float] = (10.0, 30.0), *, pool_size: int = 10
) -> requests.Session:
    """A requests session with timeouts that trusts ``settings.ca_bundle`` as well.

    With an extra CA bundle the session ignores the environment (``trust_env = False``),
    because ``REQUESTS_CA_BUNDLE`` would otherwise replace ``verify``.
    """
    session = _TimeoutSession(timeout)
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "o365lic/1.0"
    if settings.ca_bundle is not None:
        session.trust_env = False
        session.verify = _merged_ca_bundle(Path(settings.ca_bundle))
    return session


def _graph_error_body(response: requests.Response) -> tuple[str | None, str]:
    """Graph's ``error.code`` and ``error.message`` (or Entra's ``error`` fields)."""
    try:
        body = response.json()
    except ValueError:
        return None, (response.reason or f"HTTP {response.status_code}")
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or "") or None, str(error.get("message") or response.reason or "")
    if isinstance(error, str):
        description = str(body.get("error_description") or "").splitlines()
        return error, description[0] if description else error
    return None, response.reason or f"HTTP {response.status_code}"


def _signin_message(result: Mapping[str, Any]) -> tuple[str, str]:
    code = str(result.get("error") or "sign_in_failed")
    description = str(result.get("error_description") or "").strip().splitlines()
    message = description[0] if description else "no token was returned"
    hints = {
        "invalid_client": "the client secret or certificate was refused (expired or revoked?)",
        "unauthorized_client": "the app is not consented in this tenant (admin consent needed)",
        "invalid_tenant": "no such tenant",
        "invalid_request": "the sign-in request was refused",
    }
    if code in hints:
        message = f"{hints[code]} — {message}"
    return code, message


class GraphConnector:
    """Signs in to customer tenants with one app registration and a shared token cache."""

    def __init__(
        self,
        settings: Settings,
        *,
        max_attempts: int = 5,
        timeout: tuple[float, float] = (10.0, 30.0),
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not settings.client_id:
            raise ValueError("no client id configured (O365LIC_CLIENT_ID)")
        self.settings = settings
        self.max_attempts = max(1, max_attempts)
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.token_cache = msal.TokenCache()
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}
        self._lock = threading.Lock()
        # One sign-in session for every tenant's MSAL app, and one Graph session per worker
        # thread: connections (and TLS handshakes) are reused from tenant to tenant.
        pool = max(10, settings.concurrency)
        self._signin_session = build_session(settings, timeout, pool_size=pool)
        self._local = threading.local()
        self._graph_sessions: list[requests.Session] = []

    def graph_session(self) -> requests.Session:
        """This thread's Graph session."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = build_session(self.settings, self.timeout)
            self._local.session = session
            with self._lock:
                self._graph_sessions.append(session)
        return session

    def close(self) -> None:
        """Close every connection this connector opened."""
        with self._lock:
            sessions, self._graph_sessions = self._graph_sessions, []
        for session in sessions:
            session.close()
        self._signin_session.close()

    def __enter__(self) -> GraphConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def scope(self) -> str:
        return f"{self.settings.graph_resource}/.default"

    def _credential(self) -> Any:
        settings = self.settings
        if settings.client_cert is not None:
            pem = Path(settings.client_cert).read_text()
            credential: dict[str, str] = {
                "private_key": pem,
                "thumbprint": str(settings.client_cert_thumbprint or "").replace(":", ""),
            }
            if "BEGIN CERTIFICATE" in pem:
                credential["public_certificate"] = pem[pem.index("-----BEGIN CERTIFICATE"):]
            return credential
        return settings.client_secret

    def _app(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        with self._lock:
            app = self._apps.get(tenant_id)
            if app is None:
                app = msal.ConfidentialClientApplication(
                    self.settings.client_id,
                    client_credential=self._credential(),
                    authority=f"{self.settings.authority_host}/{tenant_id}",
                    token_cache=self.token_cache,
                    http_client=self._signin_session,
                    instance_discovery=False,
                )
                self._apps[tenant_id] = app
            return app

    def token(self, tenant_id: str, *, fresh: bool = False) -> str:
        """An access token for Graph in ``tenant_id`` (from the cache when still valid)."""
        call = "sign-in"
        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                app = self._app(tenant_id)
                if fresh:
                    app.remove_tokens_for_client()
                    fresh = False
                result = app.acquire_token_for_client(scopes=[self.scope])
            except ValueError as exc:
                # MSAL could not read the authority's openid-configuration: unknown tenant.
                with self._lock:
                    self._apps.pop(tenant_id, None)
                raise SignInError(
                    f"the sign-in service does not know this tenant ({str(exc).splitlines()[0][:200]})",
                    tenant_id=tenant_id, call=call, code="invalid_tenant",
                ) from None
            except requests.exceptions.SSLError:
                with self._lock:
                    self._apps.pop(tenant_id, None)
                raise SignInError(
                    f"the certificate of {self.settings.authority_host} is not trusted "
                    "(set O365LIC_CA_BUNDLE for a private CA)",
                    tenant_id=tenant_id, call=call, code="TLSError",
                ) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                with self._lock:
                    self._apps.pop(tenant_id, None)
                last = exc
                if attempt < self.max_attempts:
                    self.sleep(self._backoff(attempt))
                    continue
                raise SignInError(
                    f"could not reach {self.settings.authority_host} ({type(exc).__name__})",
                    tenant_id=tenant_id, call=call, code="NetworkError",
                ) from None
            if "access_token" in result:
                return str(result["access_token"])
            code, message = _signin_message(result)
            if code == "temporarily_unavailable" and attempt < self.max_attempts:
                self.sleep(self._backoff(attempt))
                continue
            raise SignInError(message, tenant_id=tenant_id, call=call, code=code)
        raise SignInError(str(last), tenant_id=tenant_id, call=call)  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with full jitter, capped at 30 s."""
        return random.uniform(0, min(30.0, self.backoff_base * 2 ** (attempt - 1)))

    def client(self, tenant_id: str) -> GraphClient:
        """A Graph client for one tenant."""
        return GraphClient(self, tenant_id)


def resolve_tenant_id(settings: Settings, tenant: str, *, timeout: tuple[float, float] = (10.0, 30.0)) -> str:
    """The tenant GUID for a tenant id or verified domain, checked with the sign-in service.

    Reads ``{authority_host}/{tenant}/v2.0/.well-known/openid-configuration`` (no secret
    needed): its issuer carries the tenant GUID; an unknown tenant is a :class:`SignInError`.
    """
    value = validate_tenant_input(tenant)
    url = f"{settings.authority_host}/{value}/v2.0/.well-known/openid-configuration"
    with build_session(settings, timeout) as session:
        try:
            response = session.get(url)
        except requests.exceptions.SSLError:
            raise SignInError(
                f"the certificate of {settings.authority_host} is not trusted "
                "(set O365LIC_CA_BUNDLE for a private CA)",
                tenant_id=value, call="tenant lookup", code="TLSError",
            ) from None
        except requests.RequestException as exc:
            raise SignInError(
                f"could not reach {settings.authority_host} ({type(exc).__name__})",
                tenant_id=value, call="tenant lookup", code="NetworkError",
            ) from None
    if response.status_code != 200:
        code, message = _graph_error_body(response)
        raise SignInError(
            f"Microsoft does not know this tenant ({message})",
            tenant_id=value, call="tenant lookup", status=response.status_code,
            code=code or "invalid_tenant",
        )
    try:
        issuer = str(response.json().get("issuer", ""))
    except (ValueError, AttributeError):
        issuer = ""
    found = _ISSUER_TENANT.search(issuer)
    if not found:
        raise SignInError(
            "the openid-configuration names no tenant id", tenant_id=value,
            call="tenant lookup", code="MalformedResponse",
        )
    return found.group(1).lower()


@dataclass
class RequestStats:
    """What one client sent: requests (attempts included) and retries."""

    requests: int = 0
    retries: int = 0


class GraphClient:
    """Graph calls for one tenant: retries on 429/503/504, paging, clear errors."""

    def __init__(self, connector: GraphConnector, tenant_id: str) -> None:
        self.connector = connector
        self.tenant_id = tenant_id
        self.stats = RequestStats()
        self._session = connector.graph_session()
        self._token: str | None = None
        base = connector.settings.graph_url.rstrip("/")
        self._base = base
        parts = urlsplit(base)
        self._origin = f"{parts.scheme}://{parts.netloc}"

    def close(self) -> None:
        """Nothing to release: the connection stays in the thread's pool for the next tenant."""

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, call: str, message: str, *, status: int | None = None, code: str | None = None) -> GraphError:
        return GraphError(message, tenant_id=self.tenant_id, call=call, status=status, code=code)

    def _get(self, url: str, params: Mapping[str, str] | None, call: str) -> dict[str, Any]:
        connector = self.connector
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            if self._token is None:
                self._token = connector.token(self.tenant_id)
            self.stats.requests += 1
            problem: GraphError
            delay: float | None = None
            try:
                response = self._session.get(
                    url, params=params,
                    headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                )
            except requests.exceptions.SSLError:
                raise self._error(
                    call, f"the certificate of {self._origin} is not trusted "
                    "(set O365LIC_CA_BUNDLE for a private CA)", code="TLSError",
                ) from None
            except requests.Timeout:
                problem = self._error(call, "Graph did not answer in time", code="Timeout")
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                problem = self._error(call, f"the connection broke ({type(exc).__name__})", code="NetworkError")
            else:
                status = response.status_code
                if status == 401 and not refreshed:
                    refreshed = True
                    self._token = connector.token(self.tenant_id, fresh=True)
                    attempt -= 1
                    continue
                if status in RETRY_STATUSES:
                    code, message = _graph_error_body(response)
                    problem = self._error(call, message, status=status, code=code or f"HTTP{status}")
                    delay = parse_retry_after(response.headers.get("Retry-After"))
                elif status >= 400:
                    code, message = _graph_error_body(response)
                    raise self._error(call, message, status=status, code=code or f"HTTP{status}")
                else:
                    try:
                        body = response.json()
                    except ValueError:
                        body = None
                    if isinstance(body, dict):
                        return body
                    problem = self._error(
                        call, "Graph sent a body that is not a JSON object (truncated or malformed)",
                        status=status, code="MalformedResponse",
                    )
            if attempt >= connector.max_attempts:
                raise problem
            self.stats.retries += 1
            connector.sleep(delay if delay is not None else connector._backoff(attempt))

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``GET {graph_url}{path}`` as a JSON object."""
        return self._get(f"{self._base}{path}", params, f"GET {path}")

    def iter_pages(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Each page's ``value`` of a collection, following ``@odata.nextLink`` to the end."""
        call = f"GET {path}"
        url: str | None = f"{self._base}{path}"
        query: Mapping[str, str] | None = params
        seen: set[str] = set()
        while url:
            body = self._get(url, query, call)
            value = body.get("value")
            if not isinstance(value, list):
                raise self._error(call, "the response has no 'value' list", code="MalformedResponse")
            yield [item for item in value if isinstance(item, dict)]
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return
            next_link = self._rebase(str(next_link))
            if next_link in seen:
                raise self._error(call, "Graph repeated a nextLink (paging loop)", code="MalformedResponse")
            seen.add(next_link)
            url, query = next_link, None

    def _rebase(self, link: str) -> str:
        """A nextLink sent to the configured Graph host whatever host it names (a token
        never goes anywhere else; a server behind another name still pages)."""
        parts = urlsplit(link)
        if not parts.scheme:
            return f"{self._origin}/{link.lstrip('/')}"
        rebased = parts._replace(scheme=urlsplit(self._origin).scheme, netloc=urlsplit(self._origin).netloc)
        return rebased.geturl()

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a collection (for small ones: SKUs, subscriptions, contracts)."""
        return [item for page in self.iter_pages(path, params) for item in page]
