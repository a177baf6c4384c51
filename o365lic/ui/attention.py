"""What needs attention (the alerts) and what renews soon, on the Global page (every
organization) and the Organization page (its own)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from o365lic.costs import money
from o365lic.renewals import RENEWAL_WINDOWS
from o365lic.store import Viewer
from o365lic.ui import reads
from o365lic.ui.display import md, plural
from o365lic.ui.downloads import csv_and_xlsx
from o365lic.ui.settings_sync import page_of

__all__ = ["alerts_panel", "renewals_section", "renewals_sheet"]

_ALERT_CONFIG = {
    "kind": st.column_config.TextColumn("Kind", width="medium"),
    "organization": st.column_config.TextColumn("Organization", width="medium"),
    "license_name": st.column_config.TextColumn("License", width="medium"),
    "detail": st.column_config.TextColumn("Detail", width="large"),
    "sku_part_number": st.column_config.TextColumn("SKU", width="small"),
    "tenant_id": st.column_config.TextColumn("Tenant ID", width="small"),
}


def alerts_panel(organizations: tuple[str, ...], viewer: Viewer, *, key: str,
                 organization: str | None = None) -> pd.DataFrame:
    """"Needs attention": every alert of the organizations (all when none chosen), with its download."""
    found = reads.alerts(organizations, viewer)
    title = f":material/warning: **Needs attention ({len(found):,})**" if len(found) else \
        ":material/check_circle: **Needs attention: nothing**"
    with st.container(border=True):
        st.markdown(title)
        if found.empty:
            st.caption("No alert: nothing over-assigned, idle beyond the thresholds, renewing with unused "
                       "seats, suspended with users, or overdue for a sync.")
            return found
        kinds = found["kind"].value_counts()
        st.caption(" · ".join(f"{md(kind)}: {int(count):,}" for kind, count in kinds.items()))
        shown = page_of(found, f"{key}_page", "Alerts", "; the downloads have them all.")
        st.dataframe(shown, hide_index=True, width="stretch", column_config=_ALERT_CONFIG, key=f"{key}_table",
                     column_order=["kind", "organization", "license_name", "detail", "sku_part_number",
                                   "tenant_id"])
        sheet = found.rename(columns={"kind": "Kind", "organization": "Organization", "tenant_id": "Tenant ID",
                                      "license_name": "License", "sku_part_number": "SKU", "detail": "Detail"})
        csv_and_xlsx(sheet, "Alerts", organization, key=key)
    return found


def renewals_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """The renewals as a download's sheet (the SKU's unused seats repeat per subscription)."""
    return pd.DataFrame({
        "Organization": table["organization"], "Tenant ID": table["tenant_id"], "License": table["license_name"],
        "SKU": table["sku_part_number"], "Subscription Status": table["status"],
        "Licenses": table["total_licenses"], "Trial": ["yes" if bool(t) else "no" for t in table["is_trial"]],
        "Next Lifecycle (UTC)": table["next_lifecycle"], "What Happens": table["event"],
        "SKU Unused": table["sku_unused"], "Currency": table["currency"],
        "SKU Unused Monthly Cost": table["unused_monthly_cost"],
    })


def renewals_section(organizations: tuple[str, ...], include_free: bool, viewer: Viewer, *, key: str,
                     organization: str | None = None) -> pd.DataFrame:
    """The subscriptions whose next lifecycle date falls within the chosen window (30/60/90 days)."""
    st.subheader("Renewals")
    days = st.segmented_control("Within", list(RENEWAL_WINDOWS), default=RENEWAL_WINDOWS[0],
                                format_func=lambda d: f"{d} days", key=f"{key}_days") or RENEWAL_WINDOWS[0]
    table = reads.renewals(int(days), organizations, include_free, viewer)
    if table.empty:
        st.caption(f"Nothing renews, expires or is suspended within {days} days.")
        return table
    st.caption(f"{plural(len(table), 'subscription')} reach their next lifecycle date within {days} days "
               f"(UTC, as Microsoft gives it). SKU unused is the whole SKU's figure, repeated per subscription.")
    shown = table.assign(
        unused_cost=[money(a, c) for a, c in zip(table["unused_monthly_cost"], table["currency"])],
        days_left=[max((pd.Timestamp(d).tz_convert(UTC) if pd.Timestamp(d).tzinfo else
                        pd.Timestamp(d).tz_localize(UTC)) - pd.Timestamp(datetime.now(UTC)), pd.Timedelta(0)).days
                   for d in table["next_lifecycle"]],
    )
    config = {
        "next_lifecycle": st.column_config.DatetimeColumn("Date (UTC)", format="YYYY-MM-DD", width="small"),
        "days_left": st.column_config.NumberColumn("Days", width="small"),
        "organization": st.column_config.TextColumn("Organization", width="medium"),
        "license_name": st.column_config.TextColumn("License", width="medium"),
        "status": st.column_config.TextColumn("Status", width="small"),
        "event": st.column_config.TextColumn("What happens", width="large"),
        "total_licenses": st.column_config.NumberColumn("Licenses", width="small"),
        "is_trial": st.column_config.CheckboxColumn("Trial", width="small"),
        "sku_unused": st.column_config.NumberColumn("SKU unused", width="small"),
        "unused_cost": st.column_config.TextColumn("SKU unused cost / month", width="small"),
    }
    order = ["next_lifecycle", "days_left", "organization", "license_name", "status", "event", "total_licenses",
             "is_trial", "sku_unused", "unused_cost"]
    if organization is not None:
        order.remove("organization")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, column_order=order,
                 key=f"{key}_table")
    csv_and_xlsx(renewals_sheet(table), "Renewals", organization, key=key)
    return table
