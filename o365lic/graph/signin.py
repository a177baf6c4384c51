"""Sign-in: MSAL app-only tokens for every customer tenant, a token cache per tenant, bounded retries.

One :class:`GraphConnector` per process signs in to every customer tenant with the same
multi-tenant app registration. Each tenant has its own MSAL application and token cache (a
token is reused until it expires); the connector keeps the most recently used
:data:`APPS_KEPT` of them (at least four per worker), so its memory and the cost of a token
look-up do not grow with the number of tenants (one shared cache is searched entry by entry).

429 and 5xx from the token endpoint are retried with the same :class:`RetryPolicy` as Graph
calls. MSAL answers a repeated token request from its own throttling cache for the server's
``Retry-After`` (5 s for a fractional value), so after every failed attempt the tenant's MSAL
app is dropped and the next attempt uses a fresh one: the retry reaches the server after
exactly the wait our policy chose. Nothing here logs or raises a token or a secret.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Self

import msal
import requests
from msal.exceptions import MsalServiceError

from o365lic.config import DEFAULT_TIMEOUT, MAX_ATTEMPTS, Settings

from .client import GraphClient
from .errors import (
    GraphError,
    SignInError,
    SignInNetworkError,
    SignInTlsError,
    SignInUnavailableError,
    register_secret,
)
from .http import Answer, HttpClient
from .response import describe_answer, error_body
from .retry import RETRY_STATUSES, RetryPolicy, Wait
from .tls import build_session, certificate_refused, untrusted_message

__all__ = ["APPS_KEPT", "GraphConnector"]

#: Tenants' MSAL applications (with their tokens) kept at least, the most recently used.
APPS_KEPT = 256


def _note_msal_extensions_absent() -> None:
    """Every MSAL application built looks for the optional ``msal_extensions`` package (MSAL's
    ``_msal_extension_check``): when it is not installed, a failed import per tenant, walking
    ``sys.path`` under Python's import lock that every worker thread then waits for. Looked up
    once here instead: absent, it is recorded as absent (``None`` in ``sys.modules`` makes the
    import fail at once); present, MSAL's import finds the loaded module."""
    if "msal_extensions" not in sys.modules and importlib.util.find_spec("msal_extensions") is None:
        sys.modules["msal_extensions"] = None  # type: ignore[assignment]


_note_msal_extensions_absent()

_HTTP_STATUS = re.compile(r"HTTP Error:\s*(\d{3})")
_HINTS = {
    "invalid_client": "the client secret or certificate was refused (expired or revoked?)",
    "unauthorized_client": "the app is not consented in this tenant (admin consent needed)",
    "invalid_tenant": "no such tenant",
    "invalid_request": "the sign-in request was refused",
}


class _RecordingHttpClient:
    """The HTTP client MSAL uses: the connector's, remembering each thread's last answer."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http
        self._local = threading.local()

    def post(self, url: str, **kwargs: Any) -> Answer:
        response = self._http.post(url, **kwargs)
        self._local.last = response
        return response

    def get(self, url: str, **kwargs: Any) -> Answer:
        response = self._http.get(url, **kwargs)
        self._local.last = response
        return response

    def forget(self) -> None:
        self._local.last = None

    def last(self) -> Answer | None:
        return getattr(self._local, "last", None)


def _is_json(response: Answer) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


class GraphConnector:
    """Signs in to customer tenants with one app registration and a shared token cache."""

    def __init__(
        self,
        settings: Settings,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not settings.client_id:
            raise ValueError("no client id configured (O365LIC_CLIENT_ID)")
        self.settings = settings
        register_secret(settings.client_secret)
        #: The one retry policy of this connector's sign-ins and Graph calls.
        self.retry = retry or RetryPolicy(max_attempts=max_attempts, backoff_base=backoff_base, sleep=sleep)
        self._apps: OrderedDict[str, msal.ConfidentialClientApplication] = OrderedDict()
        self._apps_kept = max(APPS_KEPT, 4 * settings.concurrency)
        self._lock = threading.Lock()
        # One HTTPS client for every tenant's MSAL app and every worker's Graph calls: its
        # connections (and TLS handshakes) are reused from tenant to tenant.
        pool = max(10, 3 * settings.concurrency)  # the sync's workers and call threads
        #: How this connector's sign-ins and Graph calls reach Microsoft.
        self.http = HttpClient(build_session(settings, timeout, pool_size=pool), timeout)
        self._signin = _RecordingHttpClient(self.http)

    @property
    def max_attempts(self) -> int:
        """Attempts of one call, the first included."""
        return self.retry.max_attempts

    @property
    def sleep(self) -> Callable[[float], None]:
        """How the connector waits between attempts."""
        return self.retry.sleep

    def close(self) -> None:
        """Close every connection this connector opened."""
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def scope(self) -> str:
        return f"{self.settings.graph_resource}/.default"

    def client(self, tenant_id: str, *, token: str | None = None) -> GraphClient:
        """A Graph client for one tenant; ``token``: one just obtained with :meth:`token`
        (a tenant's parallel clients then share it instead of each asking MSAL)."""
        return GraphClient(self, tenant_id, token=token)

    # ------------------------------------------------------------------ MSAL apps

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
            if app is not None:
                self._apps.move_to_end(tenant_id)
        if app is not None:
            return app
        # Built outside the lock: MSAL reads the tenant's openid-configuration here (a round trip
        # to Microsoft), and one tenant's round trip must not hold up every other tenant's.
        app = msal.ConfidentialClientApplication(
            self.settings.client_id,
            client_credential=self._credential(),
            authority=f"{self.settings.authority_host}/{tenant_id}",
            token_cache=msal.TokenCache(),  # this tenant's tokens only: a look-up is O(1)
            http_client=self._signin,
            http_cache={},  # this app's own throttling cache, dropped with the app
            instance_discovery=False,
        )
        with self._lock:
            app = self._apps.setdefault(tenant_id, app)
            while len(self._apps) > self._apps_kept:  # the least recently used go first
                self._apps.popitem(last=False)
            return app

    def _drop_app(self, tenant_id: str) -> None:
        """Forget the tenant's MSAL app (and with it MSAL's throttling cache for the tenant)."""
        with self._lock:
            self._apps.pop(tenant_id, None)

    def evict(self, tenant_id: str) -> int:
        """Remove this tenant's cached access tokens (only this tenant's); returns how many."""
        with self._lock:
            app = self._apps.get(tenant_id)
        if app is None:
            return 0
        cache = app.token_cache
        found = list(cache.search(
            msal.TokenCache.CredentialType.ACCESS_TOKEN,
            query={"client_id": self.settings.client_id, "realm": tenant_id},
        ))
        for item in found:
            cache.remove_at(item)
        return len(found)

    # ------------------------------------------------------------------ tokens

    def token(self, tenant_id: str, *, fresh: bool = False) -> str:
        """An access token for Graph in ``tenant_id`` (from the cache when still valid).

        ``fresh=True`` drops this tenant's cached token first (after a 401 from Graph).
        """
        call = "sign-in"
        if fresh:
            self.evict(tenant_id)
        last_wait: Wait | None = None
        for attempt in range(1, self.retry.max_attempts + 1):
            self._signin.forget()
            result: Mapping[str, Any] | None = None
            failure: BaseException | None = None
            try:
                result = self._app(tenant_id).acquire_token_for_client(scopes=[self.scope])
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:  # an answer cut short: as a network fault
                self._drop_app(tenant_id)
                if isinstance(exc, requests.exceptions.SSLError) and certificate_refused(exc):
                    raise SignInTlsError(untrusted_message(self.settings.authority_host), tenant_id=tenant_id,
                                         call=call, code="TLSError") from None
                if attempt < self.retry.max_attempts:
                    last_wait = self.retry.wait_for(attempt)
                    self.retry.pause(last_wait, f"tenant {tenant_id}: {call}")
                    continue
                raise SignInNetworkError(
                    f"could not reach {self.settings.authority_host} ({type(exc).__name__})",
                    tenant_id=tenant_id, call=call, code="NetworkError",
                ) from None
            except (MsalServiceError, ValueError) as exc:
                failure = exc
            if result is not None and "access_token" in result:
                return str(result["access_token"])
            self._drop_app(tenant_id)
            response = self._signin.last()
            error, retryable = self._failure(tenant_id, response, result, failure, attempt, last_wait)
            if not retryable or attempt >= self.retry.max_attempts:
                raise error from None
            last_wait = self.retry.wait_for(attempt, response.headers.get("Retry-After") if response is not None
                                            else None)
            self.retry.pause(last_wait, f"tenant {tenant_id}: {call}")
        raise AssertionError("unreachable")  # pragma: no cover

    def _failure(
        self, tenant_id: str, response: Answer | None, result: Mapping[str, Any] | None,
        failure: BaseException | None, attempt: int, last_wait: Wait | None,
    ) -> tuple[GraphError, bool]:
        """The error of a failed token request, and whether another attempt may help."""
        call = "sign-in"
        status = response.status_code if response is not None else None
        if status is None and failure is not None:
            found = _HTTP_STATUS.search(str(failure))
            status = int(found.group(1)) if found else None
        body = error_body(response) if response is not None else None
        support = body.support if body is not None else None
        code = str(result.get("error")) if result and result.get("error") else (body.code if body else None)
        if status in RETRY_STATUSES or code == "temporarily_unavailable":
            detail = body.message if body is not None and body.code else (
                describe_answer(response) if response is not None else str(failure))
            note = last_wait.note() if last_wait is not None else ""
            message = (f"Microsoft sign-in was unavailable (HTTP {status}) after {attempt} attempt"
                       f"{'s' if attempt != 1 else ''}: {detail}" + (f"; {note}" if note else ""))
            return SignInUnavailableError(message, tenant_id=tenant_id, call=call, status=status,
                                          code=code or f"HTTP{status}", support=support), True
        if response is not None and not _is_json(response):
            message = f"the sign-in service sent an answer that is not JSON ({describe_answer(response)})"
            return SignInUnavailableError(message, tenant_id=tenant_id, call=call, status=status,
                                          code="MalformedResponse"), True
        if result is not None and code:
            description = str(result.get("error_description") or "").strip().splitlines()
            message = description[0].strip() if description else "no token was returned"
            if code in _HINTS:
                message = f"{_HINTS[code]} — {message}"
            return SignInError(message, tenant_id=tenant_id, call=call, status=status, code=code,
                               support=support), False
        if body is not None and body.code:
            # MSAL could not read the authority's openid-configuration: Entra refused the tenant.
            return SignInError(f"the sign-in service does not know this tenant ({body.message})",
                               tenant_id=tenant_id, call=call, status=status, code=body.code,
                               support=support), False
        text = str(failure or "no token was returned").strip().splitlines()
        return SignInError(text[0][:200] if text else "no token was returned", tenant_id=tenant_id, call=call,
                           status=status, code="sign_in_failed"), False
