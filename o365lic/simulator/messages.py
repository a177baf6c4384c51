"""Requests, responses and what an armed fault does to a response. No sockets here."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .faults import Fault, Surface
from .shapes import GRAPH_JSON_CONTENT_TYPE, JsonObject

__all__ = ["MALFORMED_BODY", "ErrorResponder", "Request", "Response", "apply_fault", "finish", "json_bytes"]

#: What a proxy in front of Microsoft sends when the upstream fails: HTML, not JSON.
MALFORMED_BODY = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
    b"<p>The proxy server received an invalid response from an upstream server.</p></body></html>"
)


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


def json_bytes(payload: JsonObject) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


#: Builds the surface's own error answer: ``(status, code, message, request) -> Response``.
ErrorResponder = Callable[[int, str, str, Request], Response]

_ERRORS: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "TooManyRequests", "Too many requests. Please retry after the indicated time."),
    "unavailable": (503, "ServiceUnavailable", "The service is temporarily unavailable."),
    "gateway_timeout": (504, "GatewayTimeout", "The gateway did not receive a timely response."),
    "server_error": (500, "InternalServerError", "An internal server error occurred."),
}


def apply_fault(fault: Fault, request: Request, surface: Surface, effect: Response,
                error: ErrorResponder) -> Response | None:
    """An error response for error faults; delay/malformed/truncate recorded on ``effect``.

    On the token endpoint a 429/5xx carries Entra's ``temporarily_unavailable`` body; on Graph
    Graph's error object. ``Retry-After`` is sent as the fault says (integer or fractional).
    """
    retry_headers = [("Retry-After", f"{fault.retry_after:g}")] if fault.retry_after is not None else []
    if fault.kind in _ERRORS:
        status, code, message = _ERRORS[fault.kind]
        if surface == "token":
            response = error(status, "temporarily_unavailable",
                             "A transient error has occurred. Please try again.", request)
        else:
            response = error(status, code, message, request)
        if fault.kind != "gateway_timeout":
            response.headers.extend(retry_headers)
        response.delay_s = fault.delay_s
        return response
    if fault.kind == "echo":
        sent = request.body.decode("utf-8", "replace") or request.target
        error_code = "invalid_request" if surface == "token" else "Request_BadRequest"
        return error(400, error_code, f"The request could not be understood: {sent}", request)
    if fault.kind == "bad_gateway":
        return Response(502, MALFORMED_BODY, "text/html; charset=utf-8", list(retry_headers), fault.delay_s)
    if fault.kind == "slow":
        effect.delay_s = max(effect.delay_s, fault.delay_s)
    elif fault.kind == "malformed":
        effect.body = MALFORMED_BODY
        effect.content_type = "text/html; charset=utf-8"
    elif fault.kind == "truncated":
        effect.truncate = True
    return None


def finish(response: Response, effect: Response) -> Response:
    """``response`` with the recorded fault effects applied."""
    response.delay_s = max(response.delay_s, effect.delay_s)
    if effect.body:
        response.status = 200
        response.body = effect.body
        response.content_type = effect.content_type
    response.truncate = response.truncate or effect.truncate
    return response
