"""Money the data already shows, and how usage moved: licenses to reclaim (on disabled
accounts), overlapping licenses, per-SKU totals across customers, trends and "change since"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from o365lic import insight_charts
from o365lic.history import change_sentence
from o365lic.insights import sku_totals_of
from o365lic.sheets import overlaps_sheet, reclaimable_sheet, sku_totals_sheet
from o365lic.store import Viewer
from o365lic.ui import reads
from o365lic.ui.display import md, plural
from o365lic.ui.downloads import csv_and_xlsx

__all__ = [
    "change_sheet",
    "change_since_section",
    "overlaps_section",
    "reclaimable_section",
    "sku_totals_section",
    "trend_section",
]

_TEXT = st.column_config.TextColumn


def reclaimable_section(table: pd.DataFrame, *, key: str, organization: str | None = None) -> None:
    """Licenses assigned to disabled accounts: user, license, account disabled."""
    if table.empty:
        st.caption("No license is assigned to a disabled account.")
        return
    st.caption(f"{plural(len(table), 'license')} assigned to disabled accounts: remove them to free the seats.")
    st.dataframe(reclaimable_sheet(table), hide_index=True, width="stretch", key=f"{key}_table")
    csv_and_xlsx(reclaimable_sheet(table), "Reclaimable licenses", organization, key=key)


def overlaps_section(table: pd.DataFrame, *, key: str, organization: str | None = None) -> None:
    """Users holding licenses whose plans overlap (the second one is usually paid twice)."""
    if table.empty:
        st.caption("No user holds two licenses whose plans overlap.")
        return
    st.caption(f"{plural(len(table), 'user license')} overlap another license of the same user.")
    st.dataframe(overlaps_sheet(table), hide_index=True, width="stretch", key=f"{key}_table")
    csv_and_xlsx(overlaps_sheet(table), "Overlapping licenses", organization, key=key)


def sku_totals_section(licenses: pd.DataFrame, *, key: str) -> None:
    """Per SKU across the organizations shown: all Microsoft 365 E3 seats, all Business Premium…"""
    totals = sku_totals_of(licenses)
    if totals.empty:
        st.caption("No license to total.")
        return
    st.dataframe(sku_totals_sheet(totals), hide_index=True, width="stretch", key=f"{key}_table")
    csv_and_xlsx(sku_totals_sheet(totals), "Licenses per SKU", None, key=key)


def trend_section(level: str, organizations: tuple[str, ...], include_free: bool, viewer: Viewer, *,
                  title: str) -> None:
    """Active and Consumed over time (one point per sync that changed a number)."""
    series = reads.trend(level, organizations, include_free, viewer)
    if series.empty:
        st.caption("No history yet: each sync that changes a number adds a point.")
        return
    by = "license_name" if level == "license" else None
    st.altair_chart(insight_charts.trend_chart(series, title=title, by=by), width="stretch")


def change_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """The change since a moment, as a download's sheet (``history --since``'s columns)."""
    return pd.DataFrame({
        "Organization": table["organization"], "Tenant ID": table["tenant_id"], "License": table["license_name"],
        "SKU": table["sku_part_number"], "Active Then": table["active_then"], "Active Now": table["active_now"],
        "Active Change": table["active_change"], "Consumed Then": table["consumed_then"],
        "Consumed Now": table["consumed_now"], "Consumed Change": table["consumed_change"],
    })


def change_since_section(organizations: tuple[str, ...], include_free: bool, viewer: Viewer, *, key: str,
                         organization: str | None = None) -> pd.DataFrame:
    """Per license, Active and Consumed then and now, and a sentence for each change."""
    default = (datetime.now(UTC) - timedelta(days=30)).date()
    day = st.date_input("Change since", value=default, key=f"{key}_date", max_value=datetime.now(UTC).date(),
                        help="The state at 00:00 UTC that day (the latest sync before it) against now")
    if not isinstance(day, date):
        return pd.DataFrame()
    since = datetime.combine(day, time(0), tzinfo=UTC)
    table = reads.change_since(since, organizations, include_free, viewer)
    changed = table[(table["active_change"] != 0) | (table["consumed_change"] != 0)] if len(table) else table
    if changed.empty:
        st.caption(f"No license changed since {day:%d %B %Y}.")
        return changed
    for row in changed[changed["active_change"] != 0].itertuples(index=False):
        where = "" if organization else f" at {row.organization}"
        st.markdown("- " + md(change_sentence(str(row.license_name), int(row.active_change), since) + where))
    sheet = change_sheet(changed)
    st.dataframe(sheet.drop(columns=["Organization"]) if organization else sheet, hide_index=True,
                 width="stretch", key=f"{key}_table")
    csv_and_xlsx(sheet, "Change since", organization, key=key)
    return changed
