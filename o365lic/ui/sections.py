"""The account manager's sections of the Organization page: what needs attention, renewals,
trends and change since, licenses to reclaim and overlaps, and the customer report (built only
when asked: a PDF takes seconds)."""

from __future__ import annotations

import streamlit as st

from o365lic.report import report_filename
from o365lic.store import Viewer
from o365lic.ui import attention, insights, reads
from o365lic.ui.display import md

__all__ = ["organization_sections", "report_section"]

_MIMES = {"html": "text/html", "pdf": "application/pdf"}


def report_section(organization: str, viewer: Viewer) -> None:
    """"Prepare report" builds the HTML and PDF report of the organization; then two downloads."""
    st.subheader("Customer report")
    key = f"organization_report::{organization}"
    if st.button("Prepare report", key="organization_prepare_report", icon=":material/description:",
                 help="Totals, licenses with costs, unused-seat cost, renewals, change since last month, charts"):
        try:
            with st.spinner("Preparing the report…"):
                st.session_state[key] = {fmt: reads.report_bytes(organization, fmt, viewer) for fmt in ("html", "pdf")}
        except Exception as exc:  # noqa: BLE001 - one clear message, never a traceback
            st.error(f"The report could not be prepared: {md(exc)}")
            return
    built = st.session_state.get(key)
    if not built:
        st.caption(f"A report of {md(organization)} to send the customer, as HTML or PDF.")
        return
    left, right, _ = st.columns([1, 1, 3])
    for column, fmt in ((left, "html"), (right, "pdf")):
        column.download_button(f"Download {fmt.upper()}", data=built[fmt], file_name=report_filename(organization, fmt),
                               mime=_MIMES[fmt], on_click="ignore", icon=":material/download:",
                               key=f"organization_report_{fmt}")


def organization_sections(organization: str, include_free: bool, viewer: Viewer) -> None:
    """Alerts, renewals, trend per license, change since, reclaimable and overlapping licenses,
    and the customer report of one organization."""
    scope = (organization,)
    attention.alerts_panel(scope, viewer, key="organization_alerts", organization=organization)
    attention.renewals_section(scope, include_free, viewer, key="organization_renewals", organization=organization)
    st.subheader("Trends")
    insights.trend_section("license", scope, include_free, viewer, title=f"Active and Consumed of {organization}")
    insights.change_since_section(scope, include_free, viewer, key="organization_change", organization=organization)
    reclaimable = reads.reclaimable(scope, include_free, viewer)
    overlaps = reads.overlaps(scope, viewer)
    st.subheader("Find money")
    reclaim_tab, overlap_tab = st.tabs([f"Reclaimable ({len(reclaimable):,})", f"Overlapping ({len(overlaps):,})"])
    with reclaim_tab:
        insights.reclaimable_section(reclaimable, key="organization_reclaimable", organization=organization)
    with overlap_tab:
        insights.overlaps_section(overlaps, key="organization_overlaps", organization=organization)
    report_section(organization, viewer)
