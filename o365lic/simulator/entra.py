"""The simulated Microsoft Entra sign-in endpoints: discovery, openid-configuration, token."""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from .auth import (
    TOKEN_LIFETIME_S,
    AudienceCheck,
    CertificateRegistry,
    ClientAssertionError,
    TokenStore,
)
from .catalog import PRODUCT_NAMES_PATH, product_names_csv
from .counters import RequestCounters
from .faults import TOKEN_PATH, FaultBook
from .messages import Request, Response, apply_fault, finish, json_bytes
from .model import SimulatedTenant
from .shapes import (
    ENTRA_JSON_CONTENT_TYPE,
    JsonObject,
    entra_error,
    instance_discovery,
    openid_configuration,
)

__all__ = ["GRAPH_APP_ID", "EntraEndpoints"]

#: Application id of Microsoft Graph (a valid resource in scopes).
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
_CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_OIDC_SCOPES = {"openid", "profile", "offline_access", "email"}


class _EntraError(Exception):
    def __init__(self, status: int, error: str, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.code, self.message = status, error, code, message


class EntraEndpoints:
    """Answers the sign-in requests of the simulated cloud (client credentials only)."""

    def __init__(
        self, *, authority_host: str, find_tenant: Callable[[str], SimulatedTenant | None], client_id: str,
        client_secret: str, faults: FaultBook, counters: RequestCounters, tokens: TokenStore,
        certificates: CertificateRegistry, accepted_hosts: set[str],
        not_found: Callable[[Request, str], Response],
    ) -> None:
        self.authority_host = authority_host.rstrip("/")
        self._graph_host = self.authority_host.split("://", 1)[-1]
        self._find_tenant = find_tenant
        self._client_id = client_id
        self._client_secret = client_secret
        self._faults = faults
        self._counters = counters
        self._tokens = tokens
        self._certificates = certificates
        self._accepted_hosts = {h.lower() for h in accepted_hosts}
        self._not_found = not_found

    def error(self, status: int, error: str, code: int, message: str, request: Request) -> Response:
        """Entra's OAuth error answer, with a trace id and the caller's correlation id."""
        trace_id = str(uuid.uuid4())
        correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
        body = entra_error(error, code, message, trace_id, correlation_id, self.authority_host)
        return Response(
            status, json_bytes(body), ENTRA_JSON_CONTENT_TYPE,
            [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache"), ("x-ms-request-id", trace_id)],
        )

    def _fault_error(self, status: int, error: str, message: str, request: Request) -> Response:
        return self.error(status, error, 90033, message, request)

    @staticmethod
    def _json(payload: JsonObject) -> Response:
        return Response(200, json_bytes(payload), ENTRA_JSON_CONTENT_TYPE, [
            ("Cache-Control", "max-age=86400, private"), ("x-ms-request-id", str(uuid.uuid4())),
            ("Access-Control-Allow-Origin", "*"),
        ])

    def handle(self, request: Request, path: str, query: str) -> Response:
        """Answer one sign-in request."""
        if request.method == "GET" and path == PRODUCT_NAMES_PATH:
            return Response(200, product_names_csv(), "text/csv; charset=utf-8")
        segments = [s for s in path.split("/") if s]
        lowered = [s.lower() for s in segments]
        if request.method == "GET" and lowered == ["common", "discovery", "instance"]:
            endpoint = dict(parse_qsl(query)).get("authorization_endpoint", "")
            parts = [s for s in urlsplit(endpoint).path.split("/") if s]
            return self._json(instance_discovery(self.authority_host, parts[0] if parts else "common"))
        if len(segments) == 4 and lowered[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self._openid_configuration(request, segments[0])
        if len(segments) == 4 and lowered[1:] == ["discovery", "v2.0", "keys"]:
            if self._find_tenant(segments[0]) is None and lowered[0] not in ("common", "organizations"):
                return self._unknown_tenant(request, segments[0])
            return self._json({"keys": []})
        if len(segments) == 4 and lowered[1:] == ["oauth2", "v2.0", "token"]:
            if request.method != "POST":
                return self.error(400, "invalid_request", 900561,
                                  "The endpoint only accepts POST requests. Received a GET request.", request)
            return self._token(request, segments[0])
        return self._not_found(request, path)

    def _unknown_tenant(self, request: Request, segment: str) -> Response:
        return self.error(
            400, "invalid_tenant", 90002,
            f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing "
            "into the correct cloud. Check with your subscription administrator, this may happen if there are "
            "no active subscriptions for the tenant.",
            request,
        )

    def _openid_configuration(self, request: Request, segment: str) -> Response:
        if segment.lower() in ("common", "organizations"):
            return self._json(openid_configuration(self.authority_host, self._graph_host, None, segment.lower()))
        tenant = self._find_tenant(segment)
        if tenant is None:
            return self._unknown_tenant(request, segment)
        return self._json(openid_configuration(self.authority_host, self._graph_host, tenant, segment))

    def _token(self, request: Request, segment: str) -> Response:
        tenant = self._find_tenant(segment)
        self._counters.count_token(tenant.tenant_id if tenant is not None else segment)
        if segment.lower() in ("common", "organizations", "consumers"):
            return self.error(
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
            if fault.kind == "signin_failure":
                return self._invalid_secret(request)
            early = apply_fault(fault, request, "token", effect, self._fault_error)
            if early is not None:
                return early
        try:
            response = self._issue_token(request, tenant)
        except _EntraError as exc:
            response = self.error(exc.status, exc.error, exc.code, exc.message, request)
        return finish(response, effect)

    def _invalid_secret(self, request: Request) -> Response:
        return self.error(
            401, "invalid_client", 7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client "
            f"secret value, not the client secret ID, for a secret added to app '{self._client_id}'.",
            request,
        )
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
            json_bytes(payload),
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
            GRAPH_APP_ID,
        }
        if lowered not in graph_resources:
            raise _EntraError(
                400, "invalid_resource", 500011,
                f"The resource principal named {resource} was not found in the tenant named "
                f"{tenant.display_name}. This can happen if the application has not been installed by the "
                "administrator of the tenant or consented to by any user in the tenant. You might have sent "
                "your authentication request to the wrong tenant.",
            )
