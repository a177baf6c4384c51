"""Errors of sign-in and Graph calls: a small class hierarchy, mapped from status and code here only.

Every message passes through :func:`o365lic.text.scrub_secrets` with the secrets the process
registered (:func:`register_secret`), so no error, log line or stored message carries a secret,
even when a server echoes the request back URL-encoded.
"""

from __future__ import annotations

import re
import threading
from typing import Literal

from o365lic.text import scrub_secrets

__all__ = [
    "ErrorKind",
    "GraphError",
    "MalformedResponseError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "ServiceUnavailableError",
    "SignInError",
    "SignInNetworkError",
    "SignInTlsError",
    "SignInUnavailableError",
    "SupportIds",
    "ThrottledError",
    "TlsError",
    "entra_support_ids",
    "error_class",
    "kind_of_status",
    "permission_for",
    "register_secret",
    "scrub",
]

#: What went wrong, in one word. ``refused`` is any other 4xx (bad request, bad secret...).
ErrorKind = Literal[
    "refused", "permission", "not_found", "throttled", "unavailable", "malformed", "network", "tls",
]
Stage = Literal["sign-in", "graph"]

_secrets_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret (client secret) so that every error message is scrubbed of it."""
    if secret and len(secret) >= 4:
        with _secrets_lock:
            _secrets.add(secret)


def scrub(text: str, extra: tuple[str | None, ...] = ()) -> str:
    """``text`` without any registered secret (plain, URL-encoded, JSON-escaped, base64)."""
    with _secrets_lock:
        known = list(_secrets)
    return scrub_secrets(text, [*known, *extra])


class SupportIds:
    """Ids Microsoft support asks for: Graph's request ids and date, Entra's trace/correlation ids."""

    __slots__ = ("client_request_id", "correlation_id", "date", "request_id", "timestamp", "trace_id")

    def __init__(
        self, *, request_id: str | None = None, client_request_id: str | None = None, date: str | None = None,
        trace_id: str | None = None, correlation_id: str | None = None, timestamp: str | None = None,
    ) -> None:
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.date = date
        self.trace_id = trace_id
        self.correlation_id = correlation_id
        self.timestamp = timestamp

    def text(self) -> str:
        """``request-id …, client-request-id …, date …`` (only the ids that are known)."""
        pairs = (
            ("request-id", self.request_id), ("client-request-id", self.client_request_id), ("date", self.date),
            ("Trace ID", self.trace_id), ("Correlation ID", self.correlation_id), ("Timestamp", self.timestamp),
        )
        return ", ".join(f"{name} {value}" for name, value in pairs if value)


_ENTRA_IDS = {
    "trace_id": re.compile(r"Trace ID:\s*([0-9A-Za-z-]+)"),
    "correlation_id": re.compile(r"Correlation ID:\s*([0-9A-Za-z-]+)"),
    "timestamp": re.compile(r"Timestamp:\s*([0-9][0-9 :TZ.-]+Z)"),
}


def entra_support_ids(description: str, body: dict[str, object] | None = None) -> SupportIds:
    """The Trace ID, Correlation ID and Timestamp of an Entra ``error_description`` (or body)."""
    found: dict[str, str | None] = {}
    for name, pattern in _ENTRA_IDS.items():
        match = pattern.search(description)
        value = match.group(1).strip() if match else None
        if value is None and body is not None and body.get(name):
            value = str(body.get(name))
        found[name] = value
    return SupportIds(**found)


class GraphError(RuntimeError):
    """A sign-in or Graph call that failed: names the tenant, the call, Microsoft's code and message.

    ``status`` is the HTTP status (None when no answer came), ``code`` Microsoft's error code,
    ``message`` the explanation, ``support`` the ids for a Microsoft support case.
    """

    kind: ErrorKind = "refused"

    def __init__(
        self, message: str, *, tenant_id: str, call: str,
        status: int | None = None, code: str | None = None, support: SupportIds | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.call = call
        self.status = status
        self.code = code or "Error"
        self.support = support or SupportIds()
        self.message = scrub(message)
        ids = self.support.text()
        text = f"tenant {tenant_id}: {call} failed: {self.code}: {self.message}"
        super().__init__(scrub(f"{text} ({ids})" if ids else text))

    @property
    def request_id(self) -> str | None:
        """Graph's ``request-id`` of the failed answer."""
        return self.support.request_id

    @property
    def client_request_id(self) -> str | None:
        """The ``client-request-id`` o365lic sent with the failed request."""
        return self.support.client_request_id

    @property
    def date(self) -> str | None:
        """Graph's ``innerError.date`` of the failed answer."""
        return self.support.date


class NetworkError(GraphError):
    """No answer: the connection failed, broke or timed out."""

    kind: ErrorKind = "network"


class TlsError(NetworkError):
    """The server's certificate is not trusted."""

    kind: ErrorKind = "tls"


class MalformedResponseError(GraphError):
    """An answer that is not what Microsoft sends (not JSON, truncated, no ``value`` list)."""

    kind: ErrorKind = "malformed"


class ThrottledError(GraphError):
    """429: Microsoft asked to slow down, and kept asking for every attempt."""

    kind: ErrorKind = "throttled"


class ServiceUnavailableError(GraphError):
    """500, 502, 503 or 504 on every attempt."""

    kind: ErrorKind = "unavailable"


class NotFoundError(GraphError):
    """404: the resource does not exist in this tenant."""

    kind: ErrorKind = "not_found"


class PermissionDeniedError(GraphError):
    """403: the app lacks an application permission in this tenant (a token was still issued).

    ``permission`` names the Graph application permission that grants the call.
    """

    kind: ErrorKind = "permission"

    def __init__(
        self, message: str, *, tenant_id: str, call: str, status: int | None = 403,
        code: str | None = None, support: SupportIds | None = None, permission: str | None = None,
    ) -> None:
        self.permission = permission or permission_for(call)
        hint = (f"grant {self.permission} (application) and admin consent in this tenant"
                if self.permission else "grant the app's Graph application permissions and admin consent")
        super().__init__(f"{message} — {hint}", tenant_id=tenant_id, call=call, status=status,
                         code=code, support=support)


class SignInError(GraphError):
    """The app could not get a token for the tenant (bad tenant, secret, or no consent)."""


class SignInNetworkError(SignInError, NetworkError):
    """The sign-in service could not be reached."""

    kind: ErrorKind = "network"


class SignInTlsError(SignInError, TlsError):
    """The sign-in service's certificate is not trusted."""

    kind: ErrorKind = "tls"


class SignInUnavailableError(SignInError):
    """Sign-in answered 429/5xx on every attempt, or with something that is not an OAuth answer."""

    kind: ErrorKind = "unavailable"


#: The application permission o365lic asks customers to grant for each call (README).
#: ``Organization.Read.All`` covers ``/subscribedSkus`` too (least-privileged there:
#: ``LicenseAssignment.Read.All``), so no fourth grant is needed.
_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("/organization", "Organization.Read.All"),
    ("/subscribedskus", "Organization.Read.All"),
    ("/directory/subscriptions", "Organization.Read.All"),
    ("/users", "User.Read.All"),
    ("/contracts", "Directory.Read.All"),
)


def permission_for(call: str) -> str | None:
    """The Graph application permission that grants ``call`` (``GET /users``), or None."""
    path = call.split(" ", 1)[-1].split("?", 1)[0].lower()
    for prefix, permission in _PERMISSIONS:
        if path == prefix or path.startswith(prefix + "/"):
            return permission
    return None


def kind_of_status(status: int) -> ErrorKind:
    """The kind of failure an HTTP status means."""
    if status == 429:
        return "throttled"
    if status >= 500:
        return "unavailable"
    if status == 403:
        return "permission"
    if status == 404:
        return "not_found"
    return "refused"


_CLASSES: dict[tuple[Stage, ErrorKind], type[GraphError]] = {
    ("graph", "refused"): GraphError,
    ("graph", "permission"): PermissionDeniedError,
    ("graph", "not_found"): NotFoundError,
    ("graph", "throttled"): ThrottledError,
    ("graph", "unavailable"): ServiceUnavailableError,
    ("graph", "malformed"): MalformedResponseError,
    ("graph", "network"): NetworkError,
    ("graph", "tls"): TlsError,
    ("sign-in", "refused"): SignInError,
    ("sign-in", "permission"): SignInError,
    ("sign-in", "not_found"): SignInError,
    ("sign-in", "throttled"): SignInUnavailableError,
    ("sign-in", "unavailable"): SignInUnavailableError,
    ("sign-in", "malformed"): SignInUnavailableError,
    ("sign-in", "network"): SignInNetworkError,
    ("sign-in", "tls"): SignInTlsError,
}


def error_class(stage: Stage, kind: ErrorKind) -> type[GraphError]:
    """The error class of a failure of ``kind`` at ``stage``: the one mapping of kinds to classes."""
    return _CLASSES[(stage, kind)]
