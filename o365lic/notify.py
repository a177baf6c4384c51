"""Delivery of reports and alerts through apprise (e-mail, Microsoft Teams, Slack, webhooks).

A target is an apprise URL (``mailtos://user:password@host?to=...``, ``msteams://...``,
``slack://...``, ``json://host:port/path``). The default targets are the setting
``O365LIC_NOTIFY_URLS`` (whitespace- or comma-separated). URLs hold passwords and tokens: they
are a secret (SPEC section 5). Nothing here logs, stores or prints them; a target is named in
messages only as "target N (scheme)", and apprise's own logging is held back while it sends.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import apprise

from o365lic.alerts import alerts, alerts_text
from o365lic.config import split_targets
from o365lic.report import report_data, report_filename, summary_lines, write_report
from o365lic.store import Store
from o365lic.text import scrub_secrets

__all__ = ["Delivery", "NotifyError", "deliver", "safe_text", "send_alerts", "send_reports", "split_targets"]

_quiet = threading.Lock()


class NotifyError(ValueError):
    """Nothing could be sent as asked (no target, or a target apprise cannot use)."""


@dataclass
class Delivery:
    """What one delivery did: the targets that took the message and those that refused it."""

    sent: int = 0
    failed: list[str] = field(default_factory=list)
    messages: int = 0


def _label(index: int, url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"target {index} ({scheme[:16]})"


def deliver(urls: Sequence[str], title: str, body: str, attachments: Iterable[Path] = ()) -> Delivery:
    """Send one message (with its attachments) to each target; a refused target does not stop
    the others. NotifyError when there is no target or one is not a URL apprise knows."""
    targets = split_targets(urls)
    if not targets:
        raise NotifyError("no delivery target: give --to URL or set O365LIC_NOTIFY_URLS")
    services = []
    for number, url in enumerate(targets, start=1):
        one = apprise.Apprise()
        if not one.add(url):
            raise NotifyError(f"{_label(number, url)} is not an address apprise can deliver to; "
                              "check the URL's form (for example mailtos://user:password@host?to=someone@example.com)")
        services.append((number, url, one))
    files = [str(p) for p in attachments]
    result = Delivery(messages=1)
    with _quiet:
        logger = logging.getLogger("apprise")
        was = logger.disabled
        logger.disabled = True  # its messages may quote a target's URL
        try:
            for number, url, service in services:
                attach = apprise.AppriseAttachment(files) if files else None
                if service.notify(body=body, title=title, attach=attach):
                    result.sent += 1
                else:
                    result.failed.append(_label(number, url))
        finally:
            logger.disabled = was
    return result


def _merge(total: Delivery, one: Delivery) -> Delivery:
    total.sent += one.sent
    total.failed.extend(one.failed)
    total.messages += one.messages
    return total


def send_reports(store: Store, urls: Sequence[str], organizations: Sequence[str], *,
                 now: datetime | None = None) -> Delivery:
    """Deliver each organization's PDF report, attached, with its totals in the message."""
    total = Delivery()
    with tempfile.TemporaryDirectory(prefix="o365lic-report-") as folder:
        for name in organizations:
            data = report_data(store, name, now=now, charts=False)
            path = write_report(store, data.organization, Path(folder) / report_filename(data.organization, "pdf"),
                                now=now)
            body = "\n".join(summary_lines(data)) + "\n\nThe report is attached."
            _merge(total, deliver(urls, f"Microsoft 365 licenses: {data.organization}", body, [path]))
    return total


def send_alerts(store: Store, urls: Sequence[str], organizations: Sequence[str] | None = None, *,
                now: datetime | None = None) -> tuple[int, Delivery]:
    """Deliver the current alerts as one message (nothing is sent when there are none);
    returns how many alerts there were and the delivery."""
    table = alerts(store, organizations=organizations, now=now)
    if table.empty:
        return 0, Delivery()
    title = f"o365lic: {len(table)} alert{'s need' if len(table) != 1 else ' needs'} attention"
    return len(table), deliver(urls, title, alerts_text(table))


def safe_text(text: str, urls: Sequence[str]) -> str:
    """``text`` with every target URL (and its parts) removed, for a message to a person."""
    secrets = list(split_targets(urls))
    for url in list(secrets):
        secrets.extend(p for p in re.split(r"[/:@?&=]+", url.split("://", 1)[-1]) if len(p) >= 6)
    return scrub_secrets(text, secrets)
