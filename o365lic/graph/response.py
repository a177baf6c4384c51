"""Reading Microsoft's error answers: Graph's ``error`` object, Entra's OAuth error, anything else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from .errors import SupportIds, entra_support_ids
from .http import Answer

__all__ = ["ErrorBody", "describe_answer", "error_body", "first_line"]


@dataclass(frozen=True)
class ErrorBody:
    """Microsoft's error ``code`` (None when the answer was not JSON), ``message`` and support ids."""

    code: str | None
    message: str
    support: SupportIds = field(default_factory=SupportIds)


def first_line(text: str, limit: int = 160) -> str:
    """The first non-blank line of ``text``, shortened."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def describe_answer(response: requests.Response | Answer) -> str:
    """``HTTP 502, text/html, "<html>…"``: what came back, for an answer that is not Microsoft's JSON."""
    content_type = response.headers.get("Content-Type") or "no content type"
    try:
        text = first_line(response.text)
    except (ValueError, requests.RequestException):
        text = ""
    return f"HTTP {response.status_code}, {content_type}" + (f", {text!r}" if text else ", empty body")


def error_body(response: requests.Response | Answer, client_request_id: str | None = None) -> ErrorBody:
    """Graph's ``error.code``/``message``/``innerError`` or Entra's ``error``/``error_description``."""
    fallback = response.reason or f"HTTP {response.status_code}"
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    header_ids = SupportIds(
        request_id=response.headers.get("request-id"),
        client_request_id=response.headers.get("client-request-id") or client_request_id,
    )
    if not isinstance(body, dict):
        return ErrorBody(None, f"{fallback} ({describe_answer(response)})", header_ids)
    error = body.get("error")
    if isinstance(error, dict):
        inner = error.get("innerError") or error.get("innererror") or {}
        inner = inner if isinstance(inner, dict) else {}
        support = SupportIds(
            request_id=str(inner.get("request-id") or header_ids.request_id or "") or None,
            client_request_id=str(inner.get("client-request-id") or header_ids.client_request_id or "") or None,
            date=str(inner.get("date") or "") or None,
        )
        return ErrorBody(str(error.get("code") or "") or None, str(error.get("message") or fallback), support)
    if isinstance(error, str):
        description = str(body.get("error_description") or "")
        lines = description.strip().splitlines()
        return ErrorBody(error, lines[0].strip() if lines else error, entra_support_ids(description, body))
    return ErrorBody(None, fallback, header_ids)
