"""Global: every organization's licenses, filtered alike in metrics, chart, table and CSV."""

from __future__ import annotations

import math

import streamlit as st

from o365lic import charts, ui


def _chart(summary) -> None:  # type: ignore[no-untyped-def]
    """The top organizations by Active, or all of them a page at a time (a bounded chart)."""
    if len(summary) <= charts.DEFAULT_TOP:
        st.altair_chart(charts.organization_chart(summary, None), width="stretch")
        return
    show_all = st.toggle(f"Show all organizations ({len(summary):,})", key="global_show_all")
    if not show_all:
        st.altair_chart(charts.organization_chart(summary, charts.DEFAULT_TOP), width="stretch")
        return
    pages = math.ceil(len(summary) / charts.PAGE_SIZE)
    page = st.pagination(pages, key="global_chart_page") if pages > 1 else 1
    st.altair_chart(charts.organization_page(summary, page), width="stretch")


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

    left, middle, right = st.columns([3, 3, 1.4], vertical_alignment="bottom")
    organizations = left.multiselect(
        "Organization", ui.organization_names(viewer), key="global_organizations",
        placeholder="All organizations",
    )
    search = middle.text_input(
        "Search", key="global_search", placeholder="Organization, license name or SKU",
    )
    include_free = right.toggle(
        "Include free SKUs", value=False, key="global_include_free",
        help="Free, viral and trial SKUs (such as Teams Exploratory or Power BI free) are left out by default.",
    )
    chosen = ui.LicenseFilter.of(organizations, search, include_free, viewer)

    totals = ui.totals(chosen)
    a, c, u, p = st.columns(4)
    a.metric("Active", ui.format_count(totals["active"]), help="Paid units that work", border=True)
    c.metric("Consumed", ui.format_count(totals["consumed"]), help="Assigned units", border=True)
    u.metric("Unused", ui.format_count(totals["unused"]), help="Paid but idle units", border=True)
    p.metric("Utilisation %", ui.format_percent(totals["utilisation"]),
             help="Consumed / Active", border=True)
    caption = (f"{ui.plural(totals['licenses'], 'license')} in "
               f"{ui.plural(totals['organizations'], 'organization')}")
    if totals["over_assigned"]:
        caption += f" · {ui.format_count(totals['over_assigned'])} units over-assigned"
    st.caption(caption)

    if totals["licenses"] == 0:
        st.info("No licenses match these filters.")
        return

    _chart(ui.organization_summary(chosen))

    table = ui.licenses(chosen)
    order, config = ui.licenses_column_config(with_organization=True)
    if not include_free:
        order = [column for column in order if column != "is_free"]
    st.dataframe(ui.licenses_table(table), column_order=order, column_config=config, hide_index=True, width="stretch")
    st.download_button(
        "Download CSV", data=ui.csv_bytes(chosen), file_name=ui.CSV_FILE_NAME,
        mime=ui.CSV_MIME, on_click="ignore", icon=":material/download:",
    )


ui.run_page(render)
