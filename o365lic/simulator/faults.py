"""Injectable faults: what can go wrong, for which tenant and path, how many times."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

__all__ = ["ANY_TENANT", "TOKEN_PATH", "Fault", "FaultBook", "FaultKind", "Surface"]

FaultKind = Literal[
    "throttle",  # 429 TooManyRequests, Retry-After
    "unavailable",  # 503 ServiceUnavailable, Retry-After
    "gateway_timeout",  # 504 GatewayTimeout
    "server_error",  # 500 InternalServerError, Retry-After
    "bad_gateway",  # 502 with an HTML page (a proxy in front of Microsoft), Retry-After
    "slow",  # sleep delay_s, then answer normally
    "malformed",  # 200 with a body that is not JSON
    "truncated",  # 200, full Content-Length, half the body, connection closed
    "signin_failure",  # token endpoint answers 401 invalid_client
    "echo",  # 400 whose message repeats the request as received (URL-encoded form, query)
]

#: Which endpoint family a request belongs to.
Surface = Literal["graph", "token"]

#: Tenant key of faults that apply to every tenant.
ANY_TENANT = "*"

#: Path (after the tenant segment) of token requests, for matching faults with a ``path``.
TOKEN_PATH = "/oauth2/v2.0/token"


@dataclass(frozen=True)
class Fault:
    """A fault for one tenant's requests whose path starts with ``path``.

    ``path=None`` matches every Graph request (and, for ``signin_failure``, the token request);
    a path starting with ``/oauth2`` targets the token endpoint. ``times=None`` fires forever,
    otherwise the fault fires ``times`` times and disappears. ``retry_after=None`` omits the
    Retry-After header; ``delay_s`` is the pause of ``slow``.
    """

    kind: FaultKind
    path: str | None = None
    times: int | None = 1
    retry_after: float | None = 0.5
    delay_s: float = 0.0

    def matches(self, surface: Surface, path: str) -> bool:
        """True when this fault applies to a request of ``surface`` at ``path``."""
        prefix = _normalize(self.path)
        if surface == "token":
            if self.kind == "signin_failure":
                return prefix is None or path.lower().startswith(prefix)
            return prefix is not None and path.lower().startswith(prefix)
        if self.kind == "signin_failure":
            return False
        return prefix is None or path.lower().startswith(prefix)


def _normalize(path: str | None) -> str | None:
    """Lower-case, leading slash, without a ``/v1.0`` prefix (Graph paths are matched after it)."""
    if path is None:
        return None
    normalized = "/" + path.strip().lstrip("/").lower()
    if normalized == "/v1.0" or normalized.startswith("/v1.0/"):
        normalized = normalized[len("/v1.0"):] or "/"
    return normalized


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None


class FaultBook:
    """Thread-safe registry of armed faults per tenant id (or :data:`ANY_TENANT`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, list[_Armed]] = {}

    def add(self, tenant_key: str, fault: Fault) -> None:
        """Arm ``fault`` for ``tenant_key`` (a tenant id or ``"*"``)."""
        if fault.times is not None and fault.times <= 0:
            return
        with self._lock:
            self._faults.setdefault(tenant_key.lower(), []).append(_Armed(fault, fault.times))

    def clear(self, tenant_key: str | None = None) -> None:
        """Disarm the faults of one tenant key, or all faults."""
        with self._lock:
            if tenant_key is None:
                self._faults.clear()
            else:
                self._faults.pop(tenant_key.lower(), None)

    def take(self, tenant_id: str | None, surface: Surface, path: str) -> Fault | None:
        """Consume and return the first fault matching the request, or None."""
        keys = ([tenant_id.lower()] if tenant_id else []) + [ANY_TENANT]
        with self._lock:
            for key in keys:
                armed_list = self._faults.get(key)
                if not armed_list:
                    continue
                for armed in armed_list:
                    if not armed.fault.matches(surface, path):
                        continue
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining <= 0:
                            armed_list.remove(armed)
                            if not armed_list:
                                del self._faults[key]
                    return armed.fault
        return None
