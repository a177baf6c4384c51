"""Thread-safe request counters by tenant and path."""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["RequestCounters"]


class RequestCounters:
    """Counts Graph requests by ``(tenant_id, path)`` and token requests by tenant."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._graph: Counter[tuple[str, str]] = Counter()
        self._token: Counter[str] = Counter()

    def count_graph(self, tenant_id: str | None, path: str) -> None:
        """Record one Graph request (``tenant_id=None`` when the caller was not authenticated)."""
        with self._lock:
            self._graph[((tenant_id or "").lower(), path)] += 1

    def count_token(self, tenant_key: str) -> None:
        """Record one token request for a tenant id (or the unresolved tenant segment)."""
        with self._lock:
            self._token[tenant_key.lower()] += 1

    def graph(self, tenant_id: str | None = None, path: str | None = None) -> int:
        """Graph requests of one tenant and/or one exact path; None = all."""
        tenant_key = tenant_id.lower() if tenant_id is not None else None
        with self._lock:
            return sum(
                n
                for (tenant, p), n in self._graph.items()
                if (tenant_key is None or tenant == tenant_key) and (path is None or p == path)
            )

    def token(self, tenant_id: str | None = None) -> int:
        """Token requests of one tenant; None = all."""
        with self._lock:
            if tenant_id is None:
                return sum(self._token.values())
            return self._token.get(tenant_id.lower(), 0)
