"""The headline cards and the license table of the Global and Organization pages.

The cards come from :func:`o365lic.card_totals.card_totals`: paid licenses only, with
``Active - Consumed = Unused - Over-assigned``; free and trial units are small figures apart.
Each license row says whether it is free or a trial (and why), what its utilisation means, its
costs ("no price" when none, never 0) and whether its tenant's data is paused, disconnected or
stale.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
import streamlit as st

from o365lic.card_totals import CardTotals, by_kind, card_totals, license_kind, utilisation_classes
from o365lic.costs import money
from o365lic.ui.display import format_count, format_percent, plural

__all__ = [
    "SORT_ORDERS",
    "USAGE_LABELS",
    "SortOrder",
    "data_states",
    "kind_label",
    "prepare",
    "show_cards",
    "sort_licenses",
    "table_config",
    "with_cost_texts",
]

#: What a utilisation means, coloured by meaning.
USAGE_LABELS = {"idle": "🟡 idle", "healthy": "🟢 healthy", "over-assigned": "🔴 over-assigned"}


def kind_label(is_free: Any, free_reason: Any) -> str:
    """"" for a paid license, "Trial" for an all-trial SKU, "Free (reason)" for a free one."""
    kind = license_kind(is_free, free_reason if isinstance(free_reason, str) else None)
    if kind == "paid":
        return ""
    if kind == "trial":
        return "Trial"
    return f"Free ({free_reason})" if isinstance(free_reason, str) and free_reason else "Free"


def _utc(moment: Any) -> pd.Timestamp:
    """A moment as a UTC timestamp (a naive one is taken as UTC, as the store writes it)."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert(UTC) if stamp.tzinfo else stamp.tz_localize(UTC)


def data_states(licenses: pd.DataFrame, integrations: pd.DataFrame, stale_hours: int,
                now: datetime | None = None) -> list[str]:
    """Per license row: "Disconnected" (its tenant no longer connected, data kept), "Paused",
    "Stale" (no successful sync within ``stale_hours``) or "" (fresh). Set-based: one state per
    tenant, then looked up for every license."""
    limit = _utc(now or datetime.now(UTC)) - timedelta(hours=stale_hours)
    success = pd.to_datetime(integrations["last_success"], utc=True)  # naive: taken as UTC, as the store writes it
    paused = integrations["paused"].astype(object).where(integrations["paused"].notna(), False).astype(bool)
    states = pd.Series(np.select([paused.to_numpy(), (success.isna() | (success < limit)).to_numpy()],
                                 ["Paused", "Stale"], ""), index=integrations["tenant_id"].astype(str), dtype=object)
    states = states[~states.index.duplicated(keep="last")]
    return licenses["tenant_id"].astype(str).map(states).fillna("Disconnected").tolist()


def prepare(costs: pd.DataFrame, integrations: pd.DataFrame, stale_hours: int, *,
            texts: bool = True) -> pd.DataFrame:
    """A table from ``cost_reports.license_costs`` ready to show: utilisation in percent, its
    meaning, the free/trial reason, the tenant's data state and (``texts``) the costs as text
    ("no price"); without ``texts``, :func:`with_cost_texts` adds them to the rows shown."""
    out = costs.copy()
    if out.empty:
        for column in ("usage", "kind", "data_state", "monthly_cost_text", "unused_cost_text"):
            out[column] = pd.Series(dtype=object)
        return out
    out["utilisation"] = pd.to_numeric(out["utilisation"], errors="coerce") * 100
    out["usage"] = utilisation_classes(out["active"], out["consumed"]).map(USAGE_LABELS)
    out["kind"] = by_kind(kind_label, out["is_free"], out.get("free_reason"))
    out["data_state"] = data_states(out, integrations, stale_hours)
    return with_cost_texts(out) if texts else out


def with_cost_texts(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its monthly cost and unused cost as text ("no price" when none, never 0)."""
    return table.assign(monthly_cost_text=[money(a, c) for a, c in zip(table["monthly_cost"], table["currency"])],
                        unused_cost_text=[money(a, c) for a, c in zip(table["unused_monthly_cost"],
                                                                     table["currency"])])


def show_cards(licenses: pd.DataFrame, *, help_texts: bool = True) -> CardTotals:
    """Active, Consumed, Unused, Over-assigned and Utilisation % of the paid licenses, and a
    caption with the free and trial units counted apart."""
    cards = card_totals(licenses)
    a, c, u, o, p = st.columns(5)
    a.metric("Active", format_count(cards.active), border=True,
             help="Paid units that work (enabled + warning)" if help_texts else None)
    c.metric("Consumed", format_count(cards.consumed), border=True,
             help="Assigned units of paid licenses" if help_texts else None)
    u.metric("Unused", format_count(cards.unused), border=True,
             help="Paid but idle units" if help_texts else None)
    o.metric("Over-assigned", format_count(cards.over_assigned), border=True,
             help="Units assigned beyond Active. Active − Consumed = Unused − Over-assigned")
    p.metric("Utilisation %", format_percent(cards.utilisation), border=True,
             help="Consumed / Active of paid licenses: " + USAGE_LABELS[cards.utilisation_class])
    parts = [f"{plural(cards.paid.licenses, 'paid license')} in "
             f"{plural(cards.organizations, 'organization')}"]
    if cards.free.licenses:
        parts.append(f"free SKUs apart: {plural(cards.free.licenses, 'license')}, "
                     f"{format_count(cards.free.active)} units, {format_count(cards.free.consumed)} assigned")
    if cards.trial.licenses:
        parts.append(f"trials apart: {plural(cards.trial.licenses, 'license')}, "
                     f"{format_count(cards.trial.active)} units, {format_count(cards.trial.unused)} unused")
    st.caption(" · ".join(parts))
    return cards


#: Column widths in px: each fits its header and usual values (the grid pads 8 px either side).
#: On Global at 1024 px the table is 728 px wide, less 32 px for the row picker: the columns that
#: answer the question (Organization to Unused cost) take 690 of those 696 px, so License gets
#: what the figures leave; on the Organization page it has room for the longest names.
_WIDTHS: dict[str, int] = {
    "organization": 128, "license_name": 172, "active": 54, "consumed": 80, "unused": 62, "over_assigned": 100,
    "unused_cost_text": 94, "monthly_cost_text": 96, "usage": 112, "utilisation": 100, "kind": 136,
    "data_state": 100, "status": 86, "sku_part_number": 196, "synced_at": 120, "tenant_id": 264,
}
#: With free SKUs listed, Active and Unused hold seven figures (a 1,000,000-unit free SKU): a
#: clipped figure reads as another one, so on Global License gives up the room they need.
_FREE_WIDTHS: dict[str, int] = {"active": 72, "unused": 68}
#: The License column where no Organization column stands beside it (the Organization page).
_LICENSE_ALONE_WIDTH = 212


def table_config(*, with_organization: bool, with_free: bool, with_state: bool) -> tuple[list[str], dict[str, Any]]:
    """Column order and ``column_config`` of the license table: the columns that answer the page's
    question first (Organization, License, Active, Consumed, Unused, Over-assigned, Unused cost),
    in view on a 1024 px laptop; the others after them, to scroll to."""
    order = ["organization"] if with_organization else []
    order += ["license_name", "active", "consumed", "unused", "over_assigned", "unused_cost_text",
              "monthly_cost_text", "usage", "utilisation"]
    order += ["kind"] if with_free else []
    order += ["data_state"] if with_state else []
    order += ["status", "sku_part_number", "synced_at", "tenant_id"]
    width = dict(_WIDTHS, **(_FREE_WIDTHS if with_free else {}))
    grown = sum(width[c] - _WIDTHS[c] for c in _FREE_WIDTHS)
    width["license_name"] = _WIDTHS["license_name"] - grown if with_organization else _LICENSE_ALONE_WIDTH

    def count(column: str, label: str, hint: str) -> Any:
        return st.column_config.NumberColumn(label, format="localized", help=hint, width=width[column])

    def text(column: str, label: str, hint: str | None = None) -> Any:
        return st.column_config.TextColumn(label, help=hint, width=width[column])

    config: dict[str, Any] = {
        "organization": text("organization", "Organization"),
        "license_name": text("license_name", "License"),
        "active": count("active", "Active", "Paid units that work (enabled + warning)"),
        "consumed": count("consumed", "Consumed", "Assigned units"),
        "unused": count("unused", "Unused", "Active units nobody is assigned"),
        "over_assigned": count("over_assigned", "Over-assigned", "Assigned units beyond Active"),
        "unused_cost_text": text("unused_cost_text", "Unused cost",
                                 "Per month: Unused × monthly price; “no price” when none is set"),
        "monthly_cost_text": text("monthly_cost_text", "Cost / month", "Active × monthly price"),
        "usage": text("usage", "Use", "Idle below 50 % used, healthy up to 100 %, over-assigned above"),
        "utilisation": st.column_config.ProgressColumn(
            "Utilisation", format="%.0f%%", min_value=0.0, max_value=100.0, width=width["utilisation"],
            help="Consumed / Active (over 100% when over-assigned)"),
        "kind": text("kind", "Free / trial", "Why a SKU counts as free or trial (empty: paid)"),
        "data_state": text("data_state", "Data", "Paused, disconnected (data kept) or stale tenant"),
        "status": text("status", "Status"),
        "sku_part_number": text("sku_part_number", "SKU"),
        "synced_at": st.column_config.DatetimeColumn("Last synced", format="YYYY-MM-DD HH:mm",
                                                     width=width["synced_at"]),
        "tenant_id": text("tenant_id", "Tenant ID"),
    }
    return order, config


#: The orders the license table can be shown in, across every page of it.
SortOrder = Literal["Organization", "Unused licenses, most first", "Unused cost, highest first",
                    "Utilisation, lowest first", "License name"]
SORT_ORDERS: tuple[SortOrder, ...] = get_args(SortOrder)
_SORT_COLUMNS: dict[SortOrder, tuple[str, bool]] = {
    "Unused licenses, most first": ("unused", False),
    "Unused cost, highest first": ("unused_monthly_cost", False),
    "Utilisation, lowest first": ("utilisation", True),
    "License name": ("license_name", True),
}


def sort_licenses(table: pd.DataFrame, order: SortOrder) -> pd.DataFrame:
    """The whole license table in ``order`` ("Organization": as it comes, by organization and
    license); ties keep that order, rows without a value (no price) come last."""
    if order not in _SORT_COLUMNS:
        return table
    column, ascending = _SORT_COLUMNS[order]
    return table.sort_values(column, ascending=ascending, kind="stable", na_position="last",
                             key=lambda c: c.str.lower() if c.dtype == object else c).reset_index(drop=True)
