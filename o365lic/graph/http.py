"""HTTPS for sign-in and Graph calls: requests' connection pools, without its per-request layers.

A sync sends six requests per tenant (MSAL's openid-configuration and token, four Graph
calls). ``requests.Session`` spends about 0.6 ms of CPU on each (settings merged again, the
URL and headers prepared, cookie jars, hooks, redirects, runtime ``Protocol`` checks), half of
a request's cost against a server on loopback. :class:`HttpClient` keeps everything that
matters of the session it is built from (:func:`o365lic.graph.tls.build_session`): its TLS
trust (the shared context of :mod:`~o365lic.graph.tls`), the proxies and CA bundle the
environment names (read once per host, as requests reads them), its timeouts and headers; and
it sends each request straight through that session's urllib3 pool for the host.

Failures are raised as requests' exceptions (``SSLError``, ``ConnectTimeout``, ``ReadTimeout``,
``ConnectionError``, ``ChunkedEncodingError``, ``ContentDecodingError``), as the session would
raise them, so callers handle one family. Redirects are not followed: a token never goes to a
host it was not meant for. The client is MSAL's ``http_client`` too (MSAL's documented
interface: ``get``/``post`` answering an object with ``status_code``, ``text``, ``headers`` and
``raise_for_status``). Safe to share between threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from requests.utils import requote_uri, select_proxy
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

__all__ = ["Answer", "HttpClient"]

Params = Mapping[str, str] | None


class Answer:
    """One HTTP answer, read whole: ``status_code``, ``reason``, ``headers`` (any case), ``content``."""

    __slots__ = ("content", "headers", "reason", "status_code", "url")

    def __init__(self, status_code: int, reason: str | None, headers: urllib3.HTTPHeaderDict,
                 content: bytes, url: str) -> None:
        self.status_code = status_code
        self.reason = reason or ""
        self.headers = headers
        self.content = content
        self.url = url

    @property
    def text(self) -> str:
        """The body as text, in the charset the answer names (UTF-8 when it names none)."""
        charset = "utf-8"
        for part in (self.headers.get("Content-Type") or "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value.strip(' "'):
                charset = value.strip(' "')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        """requests' ``HTTPError`` for a 4xx or 5xx answer, as ``requests.Response`` raises it."""
        if self.status_code >= 400:
            kind = "Client" if self.status_code < 500 else "Server"
            raise requests.HTTPError(f"{self.status_code} {kind} Error: {self.reason} for url: {self.url}",
                                     response=self)  # type: ignore[arg-type]


class _Route:
    """How requests to one origin go: the pool, the request target's form, extra headers."""

    __slots__ = ("absolute", "headers", "pool")

    def __init__(self, pool: Any, absolute: bool, headers: Mapping[str, str]) -> None:
        self.pool = pool
        self.absolute = absolute  # a plain-HTTP proxy takes the whole URL
        self.headers = headers


class HttpClient:
    """Sends GET and POST through ``session``'s connection pools (see the module docstring)."""

    def __init__(self, session: requests.Session, timeout: tuple[float, float]) -> None:
        self.session = session
        self._timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        self._headers = dict(session.headers)
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            self._routes.clear()
        self.session.close()

    def get(self, url: str, params: Params = None, headers: Mapping[str, str] | None = None,
            **kwargs: Any) -> Answer:
        """``GET url`` (``params`` added to its query)."""
        return self.request("GET", url, params=params, headers=headers, **kwargs)

    def post(self, url: str, params: Params = None, data: Mapping[str, Any] | str | bytes | None = None,
             headers: Mapping[str, str] | None = None, **kwargs: Any) -> Answer:
        """``POST url`` with ``data`` (a mapping is sent form-encoded)."""
        return self.request("POST", url, params=params, data=data, headers=headers, **kwargs)

    def request(self, method: str, url: str, *, params: Params = None,
                data: Mapping[str, Any] | str | bytes | None = None,
                headers: Mapping[str, str] | None = None,
                timeout: float | tuple[float, float] | None = None) -> Answer:
        """One request, its answer read whole; requests' exceptions on failure."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        target = parts.path or "/"
        query = parts.query
        if params:
            query = f"{query}&{urlencode(params, doseq=True)}" if query else urlencode(params, doseq=True)
        if query:
            target = f"{target}?{query}"
        target = requote_uri(target)
        sent = dict(self._headers)
        if headers:
            lowered = {name.lower() for name in headers}
            sent = {k: v for k, v in sent.items() if k.lower() not in lowered}
            sent.update(headers)
        body: str | bytes | None = None
        if data is not None:
            if isinstance(data, Mapping):
                body = urlencode(data, doseq=True)
                if not any(name.lower() == "content-type" for name in sent):
                    sent["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = data
        wait = self._timeout if timeout is None else (
            urllib3.Timeout(connect=timeout[0], read=timeout[1]) if isinstance(timeout, tuple)
            else urllib3.Timeout(connect=timeout, read=timeout))
        for attempt in (1, 2):
            route = self._route(origin)
            if route.headers:
                sent.update(route.headers)
            try:
                raw = route.pool.urlopen(
                    method, f"{origin}{target}" if route.absolute else target, body=body, headers=sent,
                    redirect=False, assert_same_host=False, preload_content=False, decode_content=False,
                    retries=False, timeout=wait)
            except ClosedPoolError:  # the pool was closed under us (evicted): take a fresh one once
                with self._lock:
                    self._routes.pop(origin, None)
                if attempt == 2:
                    raise requests.ConnectionError("the connection pool was closed") from None
                continue
            except (HTTPError, OSError) as exc:
                raise _as_requests_error(exc) from None
            break
        try:
            content = raw.read(decode_content=True)
        except ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        except DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        except SSLError as exc:
            raise requests.exceptions.SSLError(exc) from None
        except (ReadTimeoutError, HTTPError, OSError) as exc:
            raise requests.ConnectionError(exc) from None
        finally:
            raw.release_conn()
        return Answer(raw.status, raw.reason, raw.headers, content, url)

    def _route(self, origin: str) -> _Route:
        route = self._routes.get(origin)
        if route is not None:
            return route
        with self._lock:
            route = self._routes.get(origin)
            if route is None:
                route = self._routes[origin] = self._new_route(origin)
            return route

    def _new_route(self, origin: str) -> _Route:
        """The session's pool for ``origin``, chosen and set up as ``Session.send`` would."""
        session = self.session
        settings = session.merge_environment_settings(origin, {}, False, None, None)
        proxies, verify, cert = settings["proxies"], settings["verify"], settings["cert"]
        adapter: Any = session.get_adapter(origin)
        prepared = requests.Request("GET", f"{origin}/").prepare()
        try:
            pool = adapter.get_connection_with_tls_context(prepared, verify, proxies=proxies, cert=cert)
            adapter.cert_verify(pool, origin, verify, cert)
        except requests.RequestException:
            raise  # a bad proxy URL, a proxy scheme without its package: as Session.send raises them
        except HTTPError as exc:  # urllib3's own; a missing CA bundle's OSError goes up unchanged
            raise _as_requests_error(exc) from None
        absolute = adapter.request_url(prepared, proxies) != prepared.path_url
        proxy = select_proxy(origin, proxies)
        extra = adapter.proxy_headers(proxy) if absolute and proxy else {}
        return _Route(pool, absolute, extra)


def _as_requests_error(exc: BaseException) -> requests.RequestException:
    """urllib3's failure as the requests exception ``HTTPAdapter.send`` raises for it."""
    if isinstance(exc, SSLError):
        return requests.exceptions.SSLError(exc)
    if isinstance(exc, ConnectTimeoutError) and not isinstance(exc, NewConnectionError):
        return requests.ConnectTimeout(exc)  # (urllib3's NewConnectionError is a ConnectTimeoutError)
    if isinstance(exc, ReadTimeoutError):
        return requests.ReadTimeout(exc)
    if isinstance(exc, ProxyError):
        return requests.exceptions.ProxyError(exc)
    return requests.ConnectionError(exc)
