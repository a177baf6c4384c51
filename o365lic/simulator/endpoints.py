"""Request -> response logic of the sign-in and Graph endpoints, with fault injection.

No sockets here: :class:`Dispatcher` turns a parsed :class:`Request` into a :class:`Response`
that the HTTP transport (``server.py``) writes, sleeps for, or truncates.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from .auth import (
    TOKEN_LIFETIME_S,
    AudienceCheck,
    CertificateRegistry,
    ClientAssertionError,
    TokenStore,
)
from .catalog import PRODUCT_NAMES_PATH, product_names_csv
from .counters import RequestCounters
from .faults import TOKEN_PATH, Fault, FaultBook
from .model import SimulatedTenant, find_tenant
from .shapes import (
    ENTRA_JSON_CONTENT_TYPE,
    GRAPH_JSON_CONTENT_TYPE,
    USER_DEFAULT_SELECT,
    USER_PROPERTIES,
    JsonObject,
    company_subscription_json,
    contract_json,
    entra_error,
    graph_error,
    instance_discovery,
    openid_configuration,
    organization_json,
    subscribed_sku_json,
    user_json,
)

__all__ = ["Request", "Response", "Dispatcher", "DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE"]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999

_CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
_OIDC_SCOPES = {"openid", "profile", "offline_access", "email"}
_MALFORMED_BODY = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
    b"<p>The proxy server received an invalid response from an upstream server.</p></body></html>"
)
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


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass
class Response:
    """What the transport writes: status, body, headers, plus fault effects."""

    status: int
    body: bytes = b""
    content_type: str = GRAPH_JSON_CONTENT_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay_s: float = 0.0
    truncate: bool = False


class _GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _EntraError(Exception):
    def __init__(self, status: int, error: str, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.code, self.message = status, error, code, message


def _json_bytes(payload: JsonObject) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _retry_after_value(seconds: float) -> str:
    return f"{seconds:g}"


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
        self.graph_url = f"{self.authority_host}/v1.0"
        self._graph_host = self.authority_host.split("://", 1)[-1]
        self._lock = lock
        self._tenants = tenants
        self._partner = partner
        self._client_id = client_id
        self._client_secret = client_secret
        self._faults = faults
        self._counters = counters
        self._tokens = tokens
        self._certificates = certificates
        self._accepted_hosts = {h.lower() for h in accepted_hosts}

    # ------------------------------------------------------------------ lookup

    def find_tenant(self, key: str) -> SimulatedTenant | None:
        """Tenant (customer or partner) by GUID or any verified domain, case-insensitive."""
        with self._lock:
            return find_tenant([self._partner, *self._tenants.values()], key)

    # ------------------------------------------------------------------ entry

    def handle(self, request: Request) -> Response:
        """Answer one request."""
        split = urlsplit(request.target)
        path = unquote(split.path)
        if path == "/v1.0" or path.startswith("/v1.0/"):
            return self._graph(request, path[len("/v1.0"):], split.query)
        return self._signin(request, path, split.query)

    # ------------------------------------------------------------------ sign-in

    def _entra_response(self, status: int, error: str, code: int, message: str, request: Request) -> Response:
        trace_id = str(uuid.uuid4())
        correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
        body = entra_error(error, code, message, trace_id, correlation_id, self.authority_host)
        return Response(
            status,
            _json_bytes(body),
            ENTRA_JSON_CONTENT_TYPE,
            [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache"), ("x-ms-request-id", trace_id)],
        )

    def _entra_json(self, payload: JsonObject, request: Request) -> Response:
        return Response(
            200,
            _json_bytes(payload),
            ENTRA_JSON_CONTENT_TYPE,
            [
                ("Cache-Control", "max-age=86400, private"),
                ("x-ms-request-id", str(uuid.uuid4())),
                ("Access-Control-Allow-Origin", "*"),
            ],
        )

    def _signin(self, request: Request, path: str, query: str) -> Response:
        if request.method == "GET" and path == PRODUCT_NAMES_PATH:
            return Response(200, product_names_csv(), "text/csv; charset=utf-8")
        segments = [s for s in path.split("/") if s]
        lowered = [s.lower() for s in segments]
        if request.method == "GET" and lowered == ["common", "discovery", "instance"]:
            params = dict(parse_qsl(query))
            endpoint = params.get("authorization_endpoint", "")
            tenant_segment = "common"
            parts = [s for s in urlsplit(endpoint).path.split("/") if s]
            if parts:
                tenant_segment = parts[0]
            return self._entra_json(instance_discovery(self.authority_host, tenant_segment), request)
        if len(segments) == 4 and lowered[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self._openid_configuration(request, segments[0])
        if len(segments) == 4 and lowered[1:] == ["discovery", "v2.0", "keys"]:
            if self.find_tenant(segments[0]) is None and lowered[0] not in ("common", "organizations"):
                return self._unknown_tenant(request, segments[0])
            return self._entra_json({"keys": []}, request)
        if len(segments) == 4 and lowered[1:] == ["oauth2", "v2.0", "token"]:
            if request.method != "POST":
                return self._entra_response(
                    400, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a GET request.",
                    request,
                )
            return self._token(request, segments[0])
        return self._graph_error_response(404, "NotFound", f"Resource not found for the segment '{path}'.", request)

    def _unknown_tenant(self, request: Request, segment: str) -> Response:
        return self._entra_response(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing "
            "into the correct cloud. Check with your subscription administrator, this may happen if there are "
            "no active subscriptions for the tenant.",
            request,
        )

    def _openid_configuration(self, request: Request, segment: str) -> Response:
        if segment.lower() in ("common", "organizations"):
            return self._entra_json(
                openid_configuration(self.authority_host, self._graph_host, None, segment.lower()), request
            )
        tenant = self.find_tenant(segment)
        if tenant is None:
            return self._unknown_tenant(request, segment)
        return self._entra_json(openid_configuration(self.authority_host, self._graph_host, tenant, segment), request)

    def _token(self, request: Request, segment: str) -> Response:
        tenant = self.find_tenant(segment)
        self._counters.count_token(tenant.tenant_id if tenant is not None else segment)
        if segment.lower() in ("common", "organizations", "consumers"):
            return self._entra_response(
                400, "invalid_request", 50059,
                "No tenant-identifying information found in either the request or implied by any provided "
                "credentials.",
                request,
            )
        if tenant is None:
            return self._unknown_tenant(request, segment)
        fault = self._faults.take(tenant.tenant_id, "token", TOKEN_PATH)
        effect = Response(200)
        if fault is not None:
            early = self._apply_fault(fault, request, "token", effect)
            if early is not None:
                return early
        try:
            response = self._issue_token(request, tenant)
        except _EntraError as exc:
            response = self._entra_response(exc.status, exc.error, exc.code, exc.message, request)
        return self._finish(response, effect)

    def _issue_token(self, request: Request, tenant: SimulatedTenant) -> Response:
        form: dict[str, str] = {}
        for key, value in parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True):
            form.setdefault(key, value)
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise _EntraError(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'grant_type'.")
        if grant_type != "client_credentials":
            raise _EntraError(400, "unsupported_grant_type", 70003,
                              f"The app requested an unsupported grant type '{grant_type}'.")
        client_id = form.get("client_id", "")
        basic_secret: str | None = None
        authorization = request.headers.get("Authorization") or ""
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
                basic_id, _, basic_secret = decoded.partition(":")
                client_id = client_id or unquote(basic_id)
                basic_secret = unquote(basic_secret)
            except (binascii.Error, UnicodeDecodeError):
                basic_secret = None
        if not client_id:
            raise _EntraError(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'client_id'.")
        if client_id.lower() != self._client_id.lower() or not tenant.consented:
            raise _EntraError(
                400, "unauthorized_client", 700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{tenant.display_name}'. This can happen if the application has not been installed by the "
                "administrator of the tenant or consented to by any user in the tenant. You may have sent your "
                "authentication request to the wrong tenant.",
            )
        self._check_scope(form.get("scope", ""), tenant)
        assertion = form.get("client_assertion")
        secret = form.get("client_secret", basic_secret)
        if assertion:
            if form.get("client_assertion_type") != _CLIENT_ASSERTION_TYPE:
                raise _EntraError(400, "invalid_request", 700023,
                                  "Client assertion type is not supported: "
                                  f"'{form.get('client_assertion_type', '')}'.")
            audience = AudienceCheck(self._accepted_hosts, {tenant.tenant_id, *tenant.domains})
            try:
                self._certificates.verify(assertion, self._client_id, audience)
            except ClientAssertionError as exc:
                raise _EntraError(401, "invalid_client", exc.code, exc.description) from None
        elif secret:
            if not hmac.compare_digest(secret.encode("utf-8"), self._client_secret.encode("utf-8")):
                raise _EntraError(
                    401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                    f"secret value, not the client secret ID, for a secret added to app '{self._client_id}'.",
                )
        else:
            raise _EntraError(401, "invalid_client", 7000218,
                              "The request body must contain the following parameter: 'client_assertion' or "
                              "'client_secret'.")
        token = self._tokens.issue(tenant.tenant_id, self._client_id, TOKEN_LIFETIME_S)
        payload = {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_S,
            "ext_expires_in": TOKEN_LIFETIME_S,
            "access_token": token,
        }
        return Response(
            200,
            _json_bytes(payload),
            ENTRA_JSON_CONTENT_TYPE,
            [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache"), ("x-ms-request-id", str(uuid.uuid4()))],
        )

    def _check_scope(self, scope: str, tenant: SimulatedTenant) -> None:
        if not scope.strip():
            raise _EntraError(400, "invalid_request", 900144,
                              "The request body must contain the following parameter: 'scope'.")
        resources = [s for s in scope.split() if s.lower() not in _OIDC_SCOPES]
        if len(resources) != 1 or not resources[0].endswith("/.default"):
            raise _EntraError(
                400, "invalid_scope", 1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
                "value with /.default suffixed to the resource identifier (application ID URI).",
            )
        resource = resources[0][: -len("/.default")].rstrip("/")
        lowered = resource.lower()
        graph_resources = {f"https://{host}" for host in self._accepted_hosts} | {
            "https://graph.microsoft.com",
            _GRAPH_APP_ID,
        }
        if lowered not in graph_resources:
            raise _EntraError(
                400, "invalid_resource", 500011,
                f"The resource principal named {resource} was not found in the tenant named "
                f"{tenant.display_name}. This can happen if the application has not been installed by the "
                "administrator of the tenant or consented to by any user in the tenant. You might have sent "
                "your authentication request to the wrong tenant.",
            )

    # ------------------------------------------------------------------ faults

    def _apply_fault(
        self, fault: Fault, request: Request, surface: Literal["graph", "token"], effect: Response
    ) -> Response | None:
        """Return an error response for error faults; record delay/malformed/truncate on ``effect``."""
        retry_headers = (
            [("Retry-After", _retry_after_value(fault.retry_after))] if fault.retry_after is not None else []
        )
        if fault.kind == "signin_failure":
            return self._entra_response(
                401, "invalid_client", 7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app '{self._client_id}'.",
                request,
            )
        if fault.kind in ("throttle", "unavailable", "gateway_timeout"):
            status, code, message, headers = {
                "throttle": (429, "TooManyRequests", "Too many requests. Please retry after the indicated time.",
                             retry_headers),
                "unavailable": (503, "ServiceUnavailable", "The service is temporarily unavailable.",
                                retry_headers),
                "gateway_timeout": (504, "GatewayTimeout", "The gateway did not receive a timely response.", []),
            }[fault.kind]
            if surface == "token":
                response = self._entra_response(status, "temporarily_unavailable", 90033,
                                                "A transient error has occurred. Please try again.", request)
            else:
                response = self._graph_error_response(status, code, message, request)
            response.headers.extend(headers)
            response.delay_s = fault.delay_s
            return response
        if fault.kind == "slow":
            effect.delay_s = max(effect.delay_s, fault.delay_s)
        elif fault.kind == "malformed":
            effect.body = _MALFORMED_BODY
            effect.content_type = "text/html; charset=utf-8"
        elif fault.kind == "truncated":
            effect.truncate = True
        return None

    @staticmethod
    def _finish(response: Response, effect: Response) -> Response:
        response.delay_s = max(response.delay_s, effect.delay_s)
        if effect.body:
            response.status = 200
            response.body = effect.body
            response.content_type = effect.content_type
        response.truncate = response.truncate or effect.truncate
        return response

    # ------------------------------------------------------------------ Graph

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

    def _graph_error_response(self, status: int, code: str, message: str, request: Request) -> Response:
        request_id, client_request_id, headers = self._graph_headers(request)
        body = graph_error(code, message, request_id, client_request_id)
        if status == 401:
            headers.append((
                "WWW-Authenticate",
                f'Bearer realm="", authorization_uri="{self.authority_host}/common/oauth2/authorize", '
                f'client_id="{_GRAPH_APP_ID}"',
            ))
        return Response(status, _json_bytes(body), "application/json", headers)

    def _graph(self, request: Request, path: str, query: str) -> Response:
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
            return self._graph_error_response(401, "InvalidAuthenticationToken", "Access token is empty.", request)
        if state == "expired":
            return self._graph_error_response(
                401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", request
            )
        tenant = self.find_tenant(tenant_id) if tenant_id else None
        if tenant is None or tenant_id is None:
            return self._graph_error_response(
                401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", request
            )

        effect = Response(200)
        fault = self._faults.take(tenant_id, "graph", counted_path)
        if fault is not None:
            early = self._apply_fault(fault, request, "graph", effect)
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
            response = Response(200, _json_bytes(payload), GRAPH_JSON_CONTENT_TYPE, headers)
        except _GraphError as exc:
            response = self._graph_error_response(exc.status, exc.code, exc.message, request)
        return self._finish(response, effect)

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
        if tenant.tenant_id != self._partner.tenant_id:
            return []
        return [contract_json(self._partner.tenant_id, t) for t in self._tenants.values()]

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

