"""Global: every organization's licenses, filtered alike in cards, costs, charts, table and downloads;
what needs attention, renewals, trends, licenses to reclaim, overlaps and per-SKU totals."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from o365lic import charts, export, sheets, ui
from o365lic.ui import attention, cards, insights, money, reads
from o365lic.ui.downloads import csv_and_xlsx
from o365lic.ui.settings_sync import PAGE_ROWS, page_of

ORGANIZATION_PAGE = "pages/organization.py"


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per organization, the paid licenses only (free units never set the chart's scale)."""
    paid = table[table["kind"] == ""]
    return paid.groupby("organization", as_index=False)[["active", "consumed", "unused", "over_assigned"]].sum()


def _chart(summary: pd.DataFrame) -> None:
    """The top organizations by the chosen number, or all of them a page at a time."""
    label = st.segmented_control("Rank organizations by", list(charts.SORT_BY), default="Unused",
                                 key="global_sort") or "Unused"
    by = charts.SORT_BY[label]
    if len(summary) <= charts.DEFAULT_TOP:
        st.altair_chart(charts.organization_chart(summary, None, by=by), width="stretch")
        return
    show_all = st.toggle(f"Show all organizations ({len(summary):,})", key="global_show_all")
    if not show_all:
        st.altair_chart(charts.organization_chart(summary, charts.DEFAULT_TOP, by=by), width="stretch")
        return
    pages = math.ceil(len(summary) / charts.PAGE_SIZE)
    page = st.pagination(pages, key="global_chart_page") if pages > 1 else 1
    st.altair_chart(charts.organization_page(summary, page, by=by), width="stretch")


def _table(table: pd.DataFrame, include_free: bool) -> None:
    """The license table, a page of ``settings_sync.PAGE_ROWS`` rows at a time (the downloads have
    every row); choosing a row opens that organization's page."""
    order, config = cards.table_config(with_organization=True, with_free=include_free,
                                       with_state=bool((table["data_state"] != "").any()))
    ordered = table
    if len(table) > PAGE_ROWS:  # more than a page: a header sorts only the page shown
        ordered = cards.sort_licenses(table, st.selectbox(
            "Sort by", cards.SORT_ORDERS, key="global_table_sort",
            help="The order of every license, across the pages (a column header sorts the page shown)."))
    shown = cards.with_cost_texts(page_of(ordered, "global_licenses_page", "Licenses",
                                          "; search or filter to narrow them, the downloads have them all."))
    event = st.dataframe(shown, column_order=order, column_config=config, hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", key="global_licenses")
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if rows and rows[0] < len(shown):
        st.session_state["organization_name"] = str(shown["organization"].iloc[rows[0]])
        st.switch_page(ORGANIZATION_PAGE)
    st.caption("Choose a row to open its organization's page.")
    organizations = table["organization"].unique()  # one organization chosen: the file names it

    def sheet() -> pd.DataFrame:  # both files are built when their button is clicked
        return sheets.costs_sheet(table).assign(**{"Free / trial": table["kind"].to_numpy(),
                                                   "Data": table["data_state"].to_numpy(),
                                                   "Last Synced (UTC)": table["synced_at"].to_numpy()})

    csv_and_xlsx(sheet, "Office 365 Licenses", str(organizations[0]) if len(organizations) == 1 else None,
                 key="global_download",
                 csv=lambda: export.licenses_csv(table).encode("utf-8"))


def render() -> None:
    """Draw the Global page."""
    viewer = ui.viewer()  # signed-out: the sign-in screen, and the run stops
    st.title("Office 365 Licenses")
    if ui.totals(ui.LicenseFilter(include_free=True, viewer=viewer))["licenses"] == 0:
        st.info(
            "No licenses have been synced yet. Open the **Sync** page and press "
            "**Start Manual Sync** to fetch them from Microsoft 365."
        )
        st.page_link("pages/sync.py", label="Go to the Sync page", icon=":material/sync:")
        return

    left, middle, right = st.columns([3, 3, 2.6], vertical_alignment="bottom")
    organizations = left.multiselect(
        "Organization", ui.organization_names(viewer), key="global_organizations",
        placeholder="All organizations",
    )
    search = middle.text_input(
        "Search", key="global_search", placeholder="Organization, license name or SKU",
    )
    include_free = right.toggle(
        "Include free SKUs", value=False, key="global_include_free",
        help="Free, viral and trial SKUs (such as Teams Exploratory or Power BI free) are listed, and "
             "counted apart from the paid totals.",
    )
    fresh_only = right.toggle(
        "Hide stale data", value=False, key="global_fresh_only",
        help="Leave out the licenses of paused tenants, of tenants disconnected with their data kept, "
             "and of tenants not synced successfully within the alert threshold.",
    )
    chosen = ui.LicenseFilter.of(organizations, search, include_free, viewer)
    integrations, stale_hours = reads.tenant_states(viewer)
    table = cards.prepare(reads.license_costs(chosen), integrations, stale_hours, texts=False)
    if fresh_only:
        table = table[table["data_state"] == ""].reset_index(drop=True)

    cards.show_cards(table)
    if table.empty:
        st.info("No licenses match these filters.")
        return
    money.show_costs(table)
    scope = tuple(chosen.organizations)
    attention.alerts_panel(scope, viewer, key="global_alerts")

    _chart(_summary(table))
    money.unused_cost_chart(table, key="global_unused_cost")
    _table(table, include_free)

    reclaimable = reads.reclaimable(scope, include_free, viewer)
    overlaps = reads.overlaps(scope, viewer)
    st.subheader("Find money")
    r, o = st.columns(2)
    r.metric("Reclaimable licenses", ui.format_count(len(reclaimable)), border=True,
             help="Licenses assigned to disabled accounts")
    o.metric("Overlapping licenses", ui.format_count(len(overlaps)), border=True,
             help="Users holding two licenses whose plans overlap")
    _more(table, scope, include_free, viewer)


#: The sections below the table, one built at a time (the first load stays quick).
SECTIONS = ("Renewals", "Trends and change", "Reclaimable", "Overlapping", "Per SKU across customers")


def _more(table: pd.DataFrame, scope: tuple[str, ...], include_free: bool, viewer: ui.Viewer) -> None:
    """Renewals, trends and change since, reclaimable and overlapping licenses, per-SKU totals."""
    shown = st.segmented_control("Show", SECTIONS, default=SECTIONS[0], key="global_section") or SECTIONS[0]
    if shown == "Renewals":
        attention.renewals_section(scope, include_free, viewer, key="global_renewals")
    elif shown == "Trends and change":
        st.subheader("Trends")
        insights.trend_section("global", scope, include_free, viewer,
                               title="Active and Consumed, all organizations")
        insights.change_since_section(scope, include_free, viewer, key="global_change")
    elif shown == "Reclaimable":
        insights.reclaimable_section(reads.reclaimable(scope, include_free, viewer), key="global_reclaimable")
    elif shown == "Overlapping":
        insights.overlaps_section(reads.overlaps(scope, viewer), key="global_overlaps")
    else:
        insights.sku_totals_section(table, key="global_sku_totals")


ui.run_page(render)
