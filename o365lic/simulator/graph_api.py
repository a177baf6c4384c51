"""The simulated Microsoft Graph v1.0: organization, SKUs, subscriptions, users, contracts.

Checks the bearer token, the tenant's granted application permissions, applies armed faults,
then renders the resource with ``$select``, ``$top`` paging and ``$count`` as Graph does.
"""

from __future__ import annotations

import base64
import binascii
import threading
import uuid
from collections.abc import Callable
from typing import Literal
from urllib.parse import parse_qsl, quote

from .auth import TokenStore
from .counters import RequestCounters
from .faults import FaultBook
from .messages import Request, Response, apply_fault, finish, json_bytes
from .model import SimulatedTenant
from .permissions import allowed
from .shapes import (
    GRAPH_JSON_CONTENT_TYPE,
    USER_DEFAULT_SELECT,
    USER_PROPERTIES,
    JsonObject,
    company_subscription_json,
    graph_error,
    organization_json,
    subscribed_sku_json,
    user_json,
)

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "GraphEndpoints"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999

_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
_UNSUPPORTED_OPTIONS = ("$filter", "$search", "$orderby", "$expand", "$skip")

_Collection = Literal["organization", "subscribedSkus", "directory/subscriptions", "users", "contracts"]
_COLLECTIONS: dict[str, _Collection] = {
    "organization": "organization",
    "subscribedskus": "subscribedSkus",
    "directory/subscriptions": "directory/subscriptions",
    "users": "users",
    "contracts": "contracts",
}
_ENTITY_TYPES: dict[_Collection, str] = {
    "organization": "microsoft.graph.organization",
    "subscribedSkus": "microsoft.graph.subscribedSku",
    "directory/subscriptions": "microsoft.graph.companySubscription",
    "users": "microsoft.graph.user",
    "contracts": "microsoft.graph.contract",
}
_PAGED: frozenset[_Collection] = frozenset({"users", "contracts"})


class _GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class GraphEndpoints:
    """Answers Graph requests of the simulated cloud from the tenants' current state."""

    def __init__(
        self, *, authority_host: str, lock: threading.RLock, find_tenant: Callable[[str], SimulatedTenant | None],
        contracts: Callable[[SimulatedTenant], list[JsonObject]], faults: FaultBook,
        counters: RequestCounters, tokens: TokenStore,
    ) -> None:
        self.authority_host = authority_host.rstrip("/")
        self.graph_url = f"{self.authority_host}/v1.0"
        self._lock = lock
        self._find_tenant = find_tenant
        self._contracts = contracts
        self._faults = faults
        self._counters = counters
        self._tokens = tokens

    def _graph_headers(self, request: Request) -> tuple[str, str, list[tuple[str, str]]]:
        request_id = str(uuid.uuid4())
        client_request_id = request.headers.get("client-request-id") or request_id
        headers = [
            ("request-id", request_id),
            ("client-request-id", client_request_id),
            ("x-ms-ags-diagnostic",
             '{"ServerInfo":{"DataCenter":"Loopback","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"SIM"}}'),
            ("Strict-Transport-Security", "max-age=31536000"),
            ("Cache-Control", "no-cache"),
            ("OData-Version", "4.0"),
        ]
        return request_id, client_request_id, headers

    def error(self, status: int, code: str, message: str, request: Request) -> Response:
        request_id, client_request_id, headers = self._graph_headers(request)
        body = graph_error(code, message, request_id, client_request_id)
        if status == 401:
            headers.append((
                "WWW-Authenticate",
                (f'Bearer realm="", authorization_uri="{self.authority_host}/common/oauth2/authorize", '
                f'client_id="{_GRAPH_APP_ID}"'),
            ))
        return Response(status, json_bytes(body), "application/json", headers)

    def handle(self, request: Request, path: str, query: str) -> Response:
        """Answer one Graph request (``path`` after ``/v1.0``)."""
        clean = "/" + "/".join(s for s in path.split("/") if s)
        route = self._route(clean)
        counted_path = route[2] if route is not None else clean

        token = ""
        authorization = request.headers.get("Authorization") or ""
        if authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip()
        state, issued = self._tokens.lookup(token) if token else ("unknown", None)
        tenant_id = issued.tenant_id if state == "valid" and issued is not None else None
        self._counters.count_graph(tenant_id, counted_path)

        if not token:
            return self.error(401, "InvalidAuthenticationToken", "Access token is empty.", request)
        if state == "expired":
            return self.error(
                401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", request
            )
        tenant = self._find_tenant(tenant_id) if tenant_id else None
        if tenant is None or tenant_id is None:
            return self.error(
                401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", request
            )

        if route is not None and not allowed(route[0], tenant.granted_permissions):
            return self.error(403, "Authorization_RequestDenied",
                              "Insufficient privileges to complete the operation.", request)

        effect = Response(200)
        fault = self._faults.take(tenant_id, "graph", counted_path)
        if fault is not None:
            early = apply_fault(fault, request, "graph", effect, self.error)
            if early is not None:
                return early

        try:
            if route is None:
                raise _GraphError(404, "NotFound", f"Resource not found for the segment '{clean.lstrip('/')}'.")
            if request.method not in ("GET", "HEAD"):
                raise _GraphError(405, "Request_BadRequest",
                                  "Specified HTTP method is not allowed for the request target.")
            collection, item_key, _ = route
            payload = self._render(tenant, collection, item_key, query)
            _, _, headers = self._graph_headers(request)
            response = Response(200, json_bytes(payload), GRAPH_JSON_CONTENT_TYPE, headers)
        except _GraphError as exc:
            response = self.error(exc.status, exc.code, exc.message, request)
        return finish(response, effect)

    @staticmethod
    def _route(clean: str) -> tuple[_Collection, str | None, str] | None:
        lowered = clean.lower().strip("/")
        for key, collection in _COLLECTIONS.items():
            if lowered == key:
                return collection, None, f"/{collection}"
            if lowered.startswith(key + "/"):
                item = clean.strip("/")[len(key) + 1:]
                if item and "/" not in item:
                    return collection, item, f"/{collection}/{item}"
        return None

    # ------------------------------------------------------------------ rendering

    def _render(self, tenant: SimulatedTenant, collection: _Collection, item_key: str | None, query: str) -> JsonObject:
        options: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            options.setdefault(key.lower(), value)
        for name in _UNSUPPORTED_OPTIONS:
            if name in options:
                raise _GraphError(400, "Request_UnsupportedQuery",
                                  f"The query option '{name}' is not supported by the Microsoft 365 simulator.")
        with self._lock:
            items = self._items(tenant, collection)
        select = self._parse_select(collection, options.get("$select"), items)
        context_base = f"{self.graph_url}/$metadata#{collection}"
        context = f"{context_base}({','.join(select)})" if options.get("$select") else context_base

        if item_key is not None:
            match = next((i for i in items if self._item_matches(collection, i, item_key)), None)
            if match is None:
                raise _GraphError(
                    404, "Request_ResourceNotFound",
                    f"Resource '{item_key}' does not exist or one of its queried reference-property objects are "
                    "not present.",
                )
            return {"@odata.context": f"{context}/$entity", **self._project(match, select)}

        payload: JsonObject = {"@odata.context": context}
        if collection not in _PAGED:
            payload["value"] = [self._project(i, select) for i in items]
            return payload
        top = self._parse_top(options.get("$top"))
        offset = self._parse_skiptoken(collection, options.get("$skiptoken"))
        page = items[offset: offset + top]
        if options.get("$count", "").lower() == "true":
            payload["@odata.count"] = len(items)
        if offset + top < len(items):
            payload["@odata.nextLink"] = self._next_link(collection, options, offset + top)
        payload["value"] = [self._project(i, select) for i in page]
        return payload

    def _items(self, tenant: SimulatedTenant, collection: _Collection) -> list[JsonObject]:
        if collection == "organization":
            return [organization_json(tenant)]
        if collection == "subscribedSkus":
            return [subscribed_sku_json(tenant, sku) for sku in tenant.skus]
        if collection == "directory/subscriptions":
            return [company_subscription_json(s) for s in tenant.subscriptions]
        if collection == "users":
            return [user_json(u) for u in tenant.users]
        return self._contracts(tenant)

    @staticmethod
    def _item_matches(collection: _Collection, item: JsonObject, key: str) -> bool:
        lowered = key.lower()
        if str(item.get("id", "")).lower() == lowered:
            return True
        return collection == "users" and str(item.get("userPrincipalName", "")).lower() == lowered

    @staticmethod
    def _parse_select(collection: _Collection, raw: str | None, items: list[JsonObject]) -> list[str]:
        if collection == "users":
            known: tuple[str, ...] = USER_PROPERTIES
        elif items:
            known = tuple(items[0])
        else:
            known = ()
        if not raw:
            if collection == "users":
                return list(USER_DEFAULT_SELECT)
            return list(known) if known else []
        by_lower = {name.lower(): name for name in known}
        selected: list[str] = []
        for part in raw.split(","):
            name = part.strip()
            if not name:
                continue
            canonical = by_lower.get(name.lower())
            if canonical is None:
                if not known:  # empty collection: nothing to check against
                    selected.append(name)
                    continue
                raise _GraphError(
                    400, "Request_BadRequest",
                    f"Could not find a property named '{name}' on type '{_ENTITY_TYPES[collection]}'.",
                )
            if canonical not in selected:
                selected.append(canonical)
        if "id" not in selected:
            selected.insert(0, "id")
        return selected

    @staticmethod
    def _project(item: JsonObject, select: list[str]) -> JsonObject:
        if not select:
            return dict(item)
        return {name: item.get(name) for name in select}

    @staticmethod
    def _parse_top(raw: str | None) -> int:
        if raw is None or raw == "":
            return DEFAULT_PAGE_SIZE
        try:
            top = int(raw)
        except ValueError:
            top = -1
        if not 1 <= top <= MAX_PAGE_SIZE:
            raise _GraphError(
                400, "Request_UnsupportedQuery",
                f"Invalid page size specified: '{raw}'. Must be between 1 and {MAX_PAGE_SIZE} inclusive.",
            )
        return top

    @staticmethod
    def _encode_skiptoken(collection: _Collection, offset: int) -> str:
        raw = f"sim1:{collection}:{offset}".encode("ascii")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @staticmethod
    def _parse_skiptoken(collection: _Collection, raw: str | None) -> int:
        if not raw:
            return 0
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
            marker, name, offset_text = decoded.split(":")
            offset = int(offset_text)
            if marker != "sim1" or name != collection or offset < 0:
                raise ValueError(decoded)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise _GraphError(
                400, "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            ) from None
        return offset

    def _next_link(self, collection: _Collection, options: dict[str, str], offset: int) -> str:
        parts: list[str] = []
        for name in ("$select", "$top", "$count"):
            if name in options:
                parts.append(f"{name}={quote(options[name], safe=',')}")
        parts.append(f"$skiptoken={self._encode_skiptoken(collection, offset)}")
        return f"{self.graph_url}/{collection}?{'&'.join(parts)}"

