"""Organization: one organization's "Office 365 Licenses", a chart per license, tagged contacts."""

from __future__ import annotations

import re

import streamlit as st

from o365lic import charts, ui


def _file_name(organization: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", organization.lower()).strip("-")
    return f"office365-licenses-{slug or 'organization'}.csv"


def render() -> None:
    """Draw the Organization page."""
    st.title("Organization")
    names = ui.organization_names()
    if not names:
        st.info("No organizations yet. Connect a tenant on the **Settings** page.")
        st.page_link("pages/settings.py", label="Go to the Settings page", icon=":material/settings:")
        return

    left, right = st.columns([4, 1.4], vertical_alignment="bottom")
    organization = left.selectbox("Organization", names, key="organization_name")
    include_free = right.toggle(
        "Include free SKUs", value=False, key="organization_include_free",
        help="Free, viral and trial SKUs are left out by default.",
    )
    if organization is None:
        return
    filters = {"organizations": [organization], "include_free": include_free}

    st.subheader("Office 365 Licenses")
    table = ui.licenses(**filters)
    if table.empty:
        free = ui.totals(organizations=[organization], include_free=True)["licenses"]
        if free:
            st.info(f"{organization} has only free, viral or trial SKUs ({free:,}). "
                    "Switch on **Include free SKUs** to see them.")
        else:
            st.info(f"No licenses have been synced for {organization} yet. "
                    "Sync its tenant on the **Sync** page.")
        return

    totals = ui.totals(**filters)
    a, c, u, p = st.columns(4)
    a.metric("Active", ui.format_count(totals["active"]), border=True)
    c.metric("Consumed", ui.format_count(totals["consumed"]), border=True)
    u.metric("Unused", ui.format_count(totals["unused"]), border=True)
    p.metric("Utilisation %", ui.format_percent(totals["utilisation"]), border=True)

    order, config = ui.licenses_column_config(with_organization=False)
    if not include_free:
        order = [column for column in order if column != "is_free"]
    st.dataframe(ui.licenses_table(table), column_order=order, column_config=config, hide_index=True, width="stretch")
    st.download_button(
        "Download CSV", data=ui.csv_bytes(**filters), file_name=_file_name(organization),
        mime=ui.CSV_MIME, on_click="ignore", icon=":material/download:",
    )

    st.altair_chart(charts.license_chart(table, title=f"Licenses of {organization}"), width="stretch")

    st.subheader("Licensed users")
    labels = charts.license_labels(table)
    for label, row in zip(labels, table.itertuples(index=False)):
        contacts = ui.license_contacts(int(row.asset_id))
        with st.expander(f"{label} — {len(contacts):,} users tagged"):
            if contacts.empty:
                st.caption("Nobody holds this license.")
                continue
            st.dataframe(
                contacts, hide_index=True, width="stretch",
                column_config={
                    "display_name": st.column_config.TextColumn("Name"),
                    "user_principal_name": st.column_config.TextColumn("User principal name"),
                    "mail": st.column_config.TextColumn("Mail"),
                    "account_enabled": st.column_config.CheckboxColumn("Enabled"),
                },
            )


ui.run_page(render)
