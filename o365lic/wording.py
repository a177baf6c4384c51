"""Sentences shared by the pages and the CLI: plurals, the disconnect report, the free-SKU text.

One wording per fact, so the Settings page and ``python -m o365lic disconnect`` say the same.
The confirmation rule of a disconnect (what a person must type) lives here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import get_args

from o365lic.store import DisconnectMode, DisconnectReport
from o365lic.store.integrations import MAX_INTERVAL_MINUTES

__all__ = [
    "DISCONNECT_CONSEQUENCES",
    "DISCONNECT_LABELS",
    "MAX_INTERVAL_MINUTES",
    "confirmation_words",
    "confirms",
    "connect_error",
    "connect_problem",
    "disconnect_line",
    "disconnect_report",
    "free_sku_warnings",
    "interval_problem",
    "no_details",
    "parse_free_skus",
    "plural",
    "sentence",
    "sync_result_words",
]

#: The exact labels of the two disconnect options, as IT Glue words them (Settings and CLI help).
DISCONNECT_LABELS: Mapping[DisconnectMode, str] = {
    "keep-data": "Permanently disconnect records from Office 365 but keep all data",
    "delete-data": "Permanently delete all data including all related/child records",
}

DISCONNECT_CONSEQUENCES: dict[DisconnectMode, str] = {
    "keep-data": "Syncing stops for good. Its license assets, the “Office 365 Licenses” type and the sync "
                 "history stay, no longer marked as synced.",
    "delete-data": "Syncing stops and its license assets, their tags, subscriptions, sync runs and license "
                   "history are deleted (and the “Office 365 Licenses” type when no other tenant uses it). "
                   "Organizations and contacts stay.",
}
assert set(DISCONNECT_CONSEQUENCES) == set(DISCONNECT_LABELS) == set(get_args(DisconnectMode))


def plural(count: float, word: str, many: str | None = None) -> str:
    """``1 organization``, ``6 organizations``, ``1,204 licenses`` (``many``: an irregular plural)."""
    if int(count or 0) == 1:
        return f"1 {word}"
    return f"{int(count or 0):,} {many or word + 's'}"


def disconnect_report(report: DisconnectReport, who: str) -> str:
    """What a disconnect did, in one sentence (``who`` names the tenant)."""
    history = f"{plural(report.snapshots, 'entry', 'entries')} of license history"
    if report.mode == "keep-data":
        return (f"Disconnected {who}: syncing stopped; {plural(report.assets, 'license asset')}, "
                f"{plural(report.tags, 'tag')} and {history} kept (no longer synced).")
    line = (f"Disconnected {who} and deleted its data: {plural(report.assets, 'license asset')}, "
            f"{plural(report.tags, 'tag')} and {history} deleted")
    if report.type_deleted:
        line += "; the “Office 365 Licenses” type was deleted too (no other tenant uses it)"
    return line + ". Organizations and contacts stay."


def disconnect_line(report: DisconnectReport) -> str:
    """What a disconnect did, as ``python -m o365lic disconnect`` prints it (one terminal line)."""
    if report.mode == "keep-data":
        return f"disconnected {report.tenant_id}; kept {report.assets} license assets and their history"
    return (f"disconnected {report.tenant_id}; deleted {report.assets} license assets, {report.tags} tags, "
            f"{report.snapshots} history rows" + ("; the Office 365 Licenses type is gone too"
                                                  if report.type_deleted else ""))


def confirmation_words(tenant_id: str, organization: str | None) -> list[str]:
    """What confirms a disconnect: the organization's name (first, shown) or the tenant id."""
    words = [str(tenant_id)]
    if organization:
        words.insert(0, str(organization))
    return words


def confirms(typed: str | None, tenant_id: str, organization: str | None) -> bool:
    """True when ``typed`` names the tenant (case and spacing aside)."""
    text = " ".join(str(typed or "").split()).lower()
    return bool(text) and text in {" ".join(w.split()).lower() for w in confirmation_words(tenant_id, organization)}


def parse_free_skus(text: str) -> list[str]:
    """SKU part numbers from free text: one per line, or separated by commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def interval_problem(minutes: object) -> str | None:
    """Why a sync interval cannot be saved, or None when it can (1 .. one year of minutes)."""
    try:
        value = float(minutes)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"the sync interval must be a whole number of minutes, not {minutes!r}"
    if value != int(value) or not 1 <= value <= MAX_INTERVAL_MINUTES:
        return (f"the sync interval must be a whole number of minutes from 1 to {MAX_INTERVAL_MINUTES:,} "
                f"(one year), not {minutes}")
    return None


def no_details(text: object) -> str:
    """An error or warning as text: an empty one reads "No details given", never "None"."""
    value = "" if text is None else " ".join(str(text).split())
    return value if value and value.lower() not in ("none", "nan", "null") else "No details given"


def sync_result_words(organization: str | None, tenant_id: str, outcome: str, *, licenses: int = 0,
                      users: int = 0, seconds: float = 0.0, error: str | None = None,
                      warning: str | None = None) -> str:
    """One tenant's sync in plain words: ``OK: Contoso — 12 licenses, 40 users (1.2 s)``, or
    ``Failed: Contoso — <why>`` (the tenant ID only when there is no organization's name)."""
    who = organization or f"Tenant {tenant_id}"
    if outcome == "ok":
        text = f"OK: {who} — {plural(licenses, 'license')}, {plural(users, 'user')} ({seconds:.1f} s)"
        return f"{text}. Note: {no_details(warning)}" if warning else text
    if outcome == "skipped":
        return f"Skipped: {who} — {no_details(error)}"
    return f"Failed: {who} — {no_details(error)}"


def sentence(text: object) -> str:
    """``text`` as a message: starting with a capital letter (the rest as it is)."""
    value = "" if text is None else str(text).strip()
    return value[:1].upper() + value[1:]


_UNKNOWN_TENANT = re.compile(r"^(?P<tenant>.*?): Microsoft does not know this tenant \((?P<detail>.*)\)\s*$", re.S)


def connect_problem(tenant: str | None, organization: str | None) -> str | None:
    """Why the connect form cannot be sent as it is (naming every empty field), or None."""
    missing = []
    if not " ".join(str(tenant or "").split()):
        missing.append("the tenant ID or domain")
    if not " ".join(str(organization or "").split()):
        missing.append("a new organization name (or choose an existing organization)")
    if not missing:
        return None
    return sentence(f"Fill in {' and '.join(missing)}, then connect again.")


def connect_error(message: str) -> tuple[str, str | None]:
    """A failed connect in plain words, and Microsoft's technical text (error code, trace ids)
    when there is one, to show apart."""
    unknown = _UNKNOWN_TENANT.match(message or "")
    if unknown:
        tenant = unknown.group("tenant").strip()
        kind = "tenant ID" if re.fullmatch(r"[0-9a-fA-F-]{36}", tenant) else "domain"
        return (f"Microsoft does not know this {kind} ({tenant}). Check its spelling (for example "
                "contoso.onmicrosoft.com) or use the tenant ID, then connect again", unknown.group("detail"))
    return sentence(message), None


def free_sku_warnings(added: list[str], known: set[str], paid: set[str]) -> list[str]:
    """What to check before the free-SKU list is saved: a part number no tenant, price or
    default list knows (a typo?), and a SKU with a price (a paid license would leave the totals)."""
    known_upper = {k.upper() for k in known}
    paid_upper = {p.upper() for p in paid}
    unknown = [p for p in added if p.upper() not in known_upper]
    priced = [p for p in added if p.upper() in paid_upper]
    out = []
    if unknown:
        out.append(f"{', '.join(unknown)}: no tenant has this SKU and it is not a known free SKU. Check the "
                   "spelling (part numbers look like FLOW_FREE)")
    if priced:
        out.append(f"{', '.join(priced)}: this is a paid license (it has a price); listed as free, its seats "
                   "and costs leave the totals")
    return out
