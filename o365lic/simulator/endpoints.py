"""Request -> response routing of the simulated cloud: Entra sign-in or Graph v1.0.

No sockets here: :class:`Dispatcher` turns a parsed :class:`Request` into a :class:`Response`
that the HTTP transport (``server.py``) writes, sleeps for, or truncates. The sign-in
endpoints live in ``entra.py``, Graph in ``graph_api.py``.
"""

from __future__ import annotations

import threading
from urllib.parse import unquote, urlsplit

from .auth import CertificateRegistry, TokenStore
from .counters import RequestCounters
from .entra import EntraEndpoints
from .faults import FaultBook
from .graph_api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, GraphEndpoints
from .messages import Request, Response
from .model import SimulatedTenant, find_tenant
from .shapes import JsonObject, contract_json

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "Dispatcher", "Request", "Response"]


class Dispatcher:
    """Routes requests to the Entra sign-in and Graph v1.0 endpoints of the simulated cloud."""

    def __init__(
        self,
        *,
        authority_host: str,
        lock: threading.RLock,
        tenants: dict[str, SimulatedTenant],
        partner: SimulatedTenant,
        client_id: str,
        client_secret: str,
        faults: FaultBook,
        counters: RequestCounters,
        tokens: TokenStore,
        certificates: CertificateRegistry,
        accepted_hosts: set[str],
    ) -> None:
        self.authority_host = authority_host.rstrip("/")
        self._lock = lock
        self._tenants = tenants
        self._partner = partner
        self.graph = GraphEndpoints(
            authority_host=self.authority_host, lock=lock, find_tenant=self.find_tenant,
            contracts=self._contracts, faults=faults, counters=counters, tokens=tokens,
        )
        self.graph_url = self.graph.graph_url
        self.entra = EntraEndpoints(
            authority_host=self.authority_host, find_tenant=self.find_tenant, client_id=client_id,
            client_secret=client_secret, faults=faults, counters=counters, tokens=tokens,
            certificates=certificates, accepted_hosts=accepted_hosts, not_found=self._not_found,
        )

    def find_tenant(self, key: str) -> SimulatedTenant | None:
        """Tenant (customer or partner) by GUID or any verified domain, case-insensitive."""
        with self._lock:
            return find_tenant([self._partner, *self._tenants.values()], key)

    def _contracts(self, tenant: SimulatedTenant) -> list[JsonObject]:
        """The partner's ``/contracts``: one per customer tenant (nothing for a customer)."""
        if tenant.tenant_id != self._partner.tenant_id:
            return []
        with self._lock:
            return [contract_json(self._partner.tenant_id, t) for t in self._tenants.values()]

    def _not_found(self, request: Request, path: str) -> Response:
        return self.graph.error(404, "NotFound", f"Resource not found for the segment '{path}'.", request)

    def handle(self, request: Request) -> Response:
        """Answer one request."""
        split = urlsplit(request.target)
        path = unquote(split.path)
        if path == "/v1.0" or path.startswith("/v1.0/"):
            return self.graph.handle(request, path[len("/v1.0"):], split.query)
        return self.entra.handle(request, path, split.query)
