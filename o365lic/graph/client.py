"""Graph calls for one tenant: bounded retries, paging, a ``client-request-id`` on every request."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import requests

from .errors import (
    GraphError,
    MalformedResponseError,
    NetworkError,
    SupportIds,
    TlsError,
    error_class,
    kind_of_status,
)
from .response import error_body
from .retry import RETRY_STATUSES, Wait
from .tls import certificate_refused, untrusted_message

if TYPE_CHECKING:
    from .signin import GraphConnector

__all__ = ["GraphClient", "RequestStats"]


@dataclass
class RequestStats:
    """What one client sent: requests (attempts included) and retries."""

    requests: int = 0
    retries: int = 0


class GraphClient:
    """Graph calls for one tenant: retries on 429/5xx, paging, clear errors with support ids."""

    def __init__(self, connector: GraphConnector, tenant_id: str, *, token: str | None = None) -> None:
        self.connector = connector
        self.tenant_id = tenant_id
        self.stats = RequestStats()
        self._http = connector.http
        self._token: str | None = token  # None: asked from the connector at the first call
        base = connector.settings.graph_url.rstrip("/")
        self._base = base
        parts = urlsplit(base)
        self._origin = f"{parts.scheme}://{parts.netloc}"

    def close(self) -> None:
        """Nothing to release: the connector's connections serve the next tenant."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, url: str, params: Mapping[str, str] | None, call: str) -> dict[str, Any]:
        connector = self.connector
        policy = connector.retry
        refreshed = False
        attempt = 0
        cut: Wait | None = None
        while True:
            attempt += 1
            if self._token is None:
                self._token = connector.token(self.tenant_id)
            self.stats.requests += 1
            client_request_id = str(uuid.uuid4())
            ids = SupportIds(client_request_id=client_request_id)
            problem: GraphError
            wait: Wait | None = None
            try:
                response = self._http.get(url, params, {
                    "Authorization": f"Bearer {self._token}", "Accept": "application/json",
                    "client-request-id": client_request_id, "return-client-request-id": "true",
                })
            except requests.exceptions.SSLError as exc:
                if certificate_refused(exc):
                    raise TlsError(untrusted_message(self._origin), tenant_id=self.tenant_id, call=call,
                                   code="TLSError", support=ids) from None
                problem = NetworkError("the secure connection broke or timed out during its handshake",
                                       tenant_id=self.tenant_id, call=call, code="NetworkError", support=ids)
            except requests.Timeout:
                problem = NetworkError("Graph did not answer in time", tenant_id=self.tenant_id, call=call,
                                       code="Timeout", support=ids)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                problem = NetworkError(f"the connection broke ({type(exc).__name__})", tenant_id=self.tenant_id,
                                       call=call, code="NetworkError", support=ids)
            else:
                status = response.status_code
                if status == 401 and not refreshed:
                    refreshed = True  # only this tenant's token is dropped and fetched again
                    self._token = connector.token(self.tenant_id, fresh=True)
                    attempt -= 1
                    continue
                if status >= 400:
                    body = error_body(response, client_request_id)
                    problem = error_class("graph", kind_of_status(status))(
                        body.message, tenant_id=self.tenant_id, call=call, status=status,
                        code=body.code or f"HTTP{status}", support=body.support)
                    if status not in RETRY_STATUSES:
                        raise problem
                    wait = policy.wait_for(attempt, response.headers.get("Retry-After"))
                else:
                    try:
                        payload = response.json()
                    except ValueError:
                        payload = None
                    if isinstance(payload, dict):
                        return payload
                    problem = MalformedResponseError(
                        "Graph sent a body that is not a JSON object (truncated or malformed)",
                        tenant_id=self.tenant_id, call=call, status=status, code="MalformedResponse",
                        support=SupportIds(request_id=response.headers.get("request-id"),
                                           client_request_id=client_request_id))
            if attempt >= policy.max_attempts:
                if attempt > 1 or cut is not None:  # say it was retried, like sign-in does
                    status_text = f"HTTP {problem.status}; " if problem.status and problem.status >= 400 else ""
                    text = f"{problem.message} ({status_text}gave up after {attempt} attempts)"
                    if cut is not None:
                        text = f"{text}; {cut.note()}"
                    raise type(problem)(text, tenant_id=self.tenant_id, call=call,
                                        status=problem.status, code=problem.code, support=problem.support)
                raise problem
            wait = wait or policy.wait_for(attempt)
            if wait.capped:
                cut = wait
            self.stats.retries += 1
            policy.pause(wait, f"tenant {self.tenant_id}: {call}")

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``GET {graph_url}{path}`` as a JSON object."""
        return self._get(f"{self._base}{path}", params, f"GET {path}")

    def iter_pages(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Each page's ``value`` of a collection, following ``@odata.nextLink`` to the end."""
        call = f"GET {path}"
        url: str | None = f"{self._base}{path}"
        query: Mapping[str, str] | None = params
        seen: set[str] = set()
        while url:
            body = self._get(url, query, call)
            value = body.get("value")
            if not isinstance(value, list):
                raise MalformedResponseError("the response has no 'value' list", tenant_id=self.tenant_id,
                                             call=call, code="MalformedResponse")
            yield [item for item in value if isinstance(item, dict)]
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return
            next_link = self._rebase(str(next_link))
            if next_link in seen:
                raise MalformedResponseError("Graph repeated a nextLink (paging loop)", tenant_id=self.tenant_id,
                                             call=call, code="MalformedResponse")
            seen.add(next_link)
            url, query = next_link, None

    def _rebase(self, link: str) -> str:
        """A nextLink sent to the configured Graph host whatever host it names (a token
        never goes anywhere else; a server behind another name still pages)."""
        parts = urlsplit(link)
        if not parts.scheme:
            return f"{self._origin}/{link.lstrip('/')}"
        origin = urlsplit(self._origin)
        return parts._replace(scheme=origin.scheme, netloc=origin.netloc).geturl()

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a collection (for small ones: SKUs, subscriptions, contracts)."""
        return [item for page in self.iter_pages(path, params) for item in page]
