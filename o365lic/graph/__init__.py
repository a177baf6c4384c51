"""Microsoft Graph: sign-in (MSAL app-only tokens), the Graph client, errors, TLS trust.

``errors`` holds the error classes (mapped from status and code in one place), ``retry`` the
one retry policy, ``tls`` the sessions and CA bundle, ``http`` the HTTPS client that sends
through them, ``signin`` the :class:`GraphConnector`,
``client`` the per-tenant :class:`GraphClient`, ``lookup`` tenant input and resolution.
"""

from __future__ import annotations

from o365lic.config import MAX_RETRY_AFTER_S

from .client import GraphClient, RequestStats
from .errors import (
    GraphError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ServiceUnavailableError,
    SignInError,
    SignInNetworkError,
    SignInTlsError,
    SignInUnavailableError,
    SupportIds,
    ThrottledError,
    TlsError,
    permission_for,
    register_secret,
)
from .lookup import is_tenant_guid, resolve_tenant_id, validate_tenant_input
from .retry import RETRY_STATUSES, RetryPolicy, parse_retry_after
from .signin import GraphConnector
from .tls import build_session

__all__ = [
    "MAX_RETRY_AFTER_S",
    "RETRY_STATUSES",
    "GraphClient",
    "GraphConnector",
    "GraphError",
    "MalformedResponseError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RequestStats",
    "RetryPolicy",
    "ServiceUnavailableError",
    "SignInError",
    "SignInNetworkError",
    "SignInTlsError",
    "SignInUnavailableError",
    "SupportIds",
    "ThrottledError",
    "TlsError",
    "build_session",
    "is_tenant_guid",
    "parse_retry_after",
    "permission_for",
    "register_secret",
    "resolve_tenant_id",
    "validate_tenant_input",
]
