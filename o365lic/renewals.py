"""Renewals: the subscriptions whose next lifecycle date falls in a window from now.

Microsoft's ``nextLifecycleDateTime`` is when a subscription moves to its next state if the
customer does nothing; what that state is depends on the subscription's status (see
:func:`lifecycle_event`). Dates are Microsoft's, never a guessed billing term. The window is
``now`` to ``now + days`` in UTC, both ends included; a date already past is not a renewal.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pandas as pd

from o365lic.costs import apply_prices
from o365lic.export import guard_cell, iso_utc
from o365lic.store import LOCAL_ADMINISTRATOR, Store, Viewer, visibility_clause
from o365lic.store.prices import price_list

__all__ = ["RENEWALS_CSV_HEADER", "RENEWAL_WINDOWS", "lifecycle_event", "renewals", "renewals_csv"]

RENEWAL_WINDOWS: tuple[int, ...] = (30, 60, 90)
RENEWALS_CSV_HEADER: tuple[str, ...] = (
    "Organization", "Tenant ID", "License", "SKU", "Subscription Status", "Licenses", "Trial",
    "Next Lifecycle", "SKU Unused",
)

_EVENTS = {
    "enabled": "renews, or expires if it is not renewed (it then enters its grace period)",
    "warning": "is suspended: its licenses stop working",
    "suspended": "is deleted, with its licenses",
    "lockedout": "is deleted, with its licenses",
}


def lifecycle_event(status: str | None) -> str:
    """What happens on the next lifecycle date to a subscription of this status, in Microsoft's
    terms: an active (Enabled) one renews or expires, a Warning one is suspended, a Suspended
    (or locked-out) one is deleted."""
    return _EVENTS.get((status or "").lower(), "moves to its next state")


def _utc(now: datetime | None) -> datetime:
    moment = now or datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def renewals(
    store: Store,
    *,
    days: int = 30,
    organizations: Sequence[str] | None = None,
    now: datetime | None = None,
    include_free: bool = True,
    viewer: Viewer = LOCAL_ADMINISTRATOR,
) -> pd.DataFrame:
    """Subscriptions of connected tenants whose next lifecycle date is within ``days`` from
    ``now`` (both ends included), soonest first: organization, tenant_id, license_name,
    sku_part_number, sku_id, status, total_licenses, is_trial, next_lifecycle, event,
    sku_unused (the whole SKU's Unused: repeated per subscription, never to be summed),
    currency, unused_monthly_cost (the SKU's, likewise)."""
    if days < 0:
        raise ValueError("the number of days must be 0 or more")
    start = _utc(now)
    end = start + timedelta(days=days)
    chosen = [o for o in organizations or [] if o]
    org_clause = f" AND o.name IN ({', '.join('?' * len(chosen))})" if chosen else ""
    visible, hidden_params = visibility_clause(viewer, "a.asset_id", "a.restricted")
    frame = store.df(
        f"""
        SELECT o.name AS organization, i.tenant_id,
               coalesce(a.license_name, s.sku_part_number, s.sku_id) AS license_name,
               coalesce(a.sku_part_number, s.sku_part_number) AS sku_part_number, s.sku_id,
               s.status, s.total_licenses, s.is_trial, s.next_lifecycle_date_time AS next_lifecycle,
               a.unused AS sku_unused, coalesce(a.is_free, FALSE) AS is_free, s.subscription_id,
               a.asset_id, a.organization AS license_organization,
               a.sku_part_number AS license_sku_part_number, a.active AS sku_active
        FROM subscriptions s
        JOIN integrations i ON i.id = s.integration_id AND i.disconnected_at IS NULL
        JOIN organizations o ON o.id = i.organization_id
        LEFT JOIN office365_licenses a ON a.integration_id = s.integration_id AND a.sku_id = s.sku_id
        WHERE s.next_lifecycle_date_time >= ? AND s.next_lifecycle_date_time <= ?{org_clause}
          AND (a.asset_id IS NULL OR {visible})
        ORDER BY s.next_lifecycle_date_time, lower(o.name), s.subscription_id
        """,
        [start, end, *chosen, *hidden_params],
    )
    if not include_free:
        frame = frame[~frame["is_free"]].reset_index(drop=True)
    frame["event"] = [lifecycle_event(s) for s in frame["status"]]
    # The SKU's price, applied to these subscriptions' licenses only (as cost_reports.license_costs
    # prices them: the license's organization, SKU id and part number; its Active and Unused), never
    # to every license of the filter: the window holds few of them, the filter thousands.
    licensed = frame[frame["asset_id"].notna()]
    priced = apply_prices(pd.DataFrame({
        "organization": licensed["license_organization"], "sku_id": licensed["sku_id"],
        "sku_part_number": licensed["license_sku_part_number"], "active": licensed["sku_active"],
        "unused": licensed["sku_unused"]}), price_list(store)) if len(licensed) else None
    frame["currency"] = pd.Series(None, index=frame.index, dtype=object)
    frame["unused_monthly_cost"] = pd.Series(float("nan"), index=frame.index, dtype="float64")
    if priced is not None:
        frame.loc[priced.index, "currency"] = priced["currency"]
        frame.loc[priced.index, "unused_monthly_cost"] = priced["unused_monthly_cost"].astype("float64")
    return frame.drop(columns=["asset_id", "license_organization", "license_sku_part_number", "sku_active"])


def renewals_csv(table: pd.DataFrame) -> str:
    """The renewals CSV (``renewals`` command) of a table from :func:`renewals`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RENEWALS_CSV_HEADER)
    for r in table.itertuples(index=False):
        unused = "" if pd.isna(r.sku_unused) else int(r.sku_unused)
        writer.writerow([guard_cell(str(r.organization)), guard_cell(str(r.tenant_id)),
                         guard_cell(str(r.license_name or "")), guard_cell(str(r.sku_part_number or "")),
                         guard_cell(str(r.status or "")), int(r.total_licenses or 0),
                         "yes" if r.is_trial else "no", iso_utc(r.next_lifecycle), unused])
    return out.getvalue()
