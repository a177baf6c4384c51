"""Tenant input: a tenant id or verified domain, checked and resolved with the sign-in service."""

from __future__ import annotations

import re

import requests

from o365lic.config import DEFAULT_TIMEOUT, Settings

from .errors import (
    SignInError,
    SignInNetworkError,
    SignInTlsError,
    SignInUnavailableError,
    register_secret,
)
from .response import describe_answer, error_body
from .tls import build_session, untrusted_message

__all__ = ["is_tenant_guid", "resolve_tenant_id", "validate_tenant_input"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ISSUER_TENANT = re.compile(r"/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(/|$)")


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


def resolve_tenant_id(settings: Settings, tenant: str, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                      session: requests.Session | None = None) -> str:
    """The tenant GUID for a tenant id or verified domain, checked with the sign-in service.

    Reads ``{authority_host}/{tenant}/v2.0/.well-known/openid-configuration`` (no secret
    needed): its issuer carries the tenant GUID; an unknown tenant is a :class:`SignInError`.
    Pass a ``session`` (from :func:`build_session`) to reuse its connections for many lookups.
    """
    register_secret(settings.client_secret)
    value = validate_tenant_input(tenant)
    call = "tenant lookup"
    url = f"{settings.authority_host}/{value}/v2.0/.well-known/openid-configuration"
    own = session is None
    http = build_session(settings, timeout) if session is None else session
    try:
        try:
            response = http.get(url)
        except requests.exceptions.SSLError:
            raise SignInTlsError(untrusted_message(settings.authority_host), tenant_id=value, call=call,
                                 code="TLSError") from None
        except requests.RequestException as exc:
            raise SignInNetworkError(f"could not reach {settings.authority_host} ({type(exc).__name__})",
                                     tenant_id=value, call=call, code="NetworkError") from None
    finally:
        if own:
            http.close()
    body = error_body(response)
    if response.status_code >= 500 or response.status_code == 429 or (
            response.status_code != 200 and body.code is None):
        raise SignInUnavailableError(
            f"the sign-in service did not answer as expected ({describe_answer(response)})",
            tenant_id=value, call=call, status=response.status_code, code=body.code or f"HTTP{response.status_code}",
            support=body.support,
        )
    if response.status_code != 200:
        raise SignInError(
            f"Microsoft does not know this tenant ({body.message})", tenant_id=value, call=call,
            status=response.status_code, code=body.code or "invalid_tenant", support=body.support,
        )
    try:
        issuer = str(response.json().get("issuer", ""))
    except (ValueError, AttributeError):
        issuer = ""
    found = _ISSUER_TENANT.search(issuer)
    if not found:
        raise SignInUnavailableError(
            f"the openid-configuration names no tenant id ({describe_answer(response)})", tenant_id=value,
            call=call, status=response.status_code, code="MalformedResponse",
        )
    return found.group(1).lower()
