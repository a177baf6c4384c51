"""Organization: one organization's "Office 365 Licenses", a chart per license, its users, and per
license asset its locked synced fields, tagged contacts, notes and security settings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from o365lic import charts, export, sheets, ui
from o365lic.export import iso_utc
from o365lic.store import ALL_USERS_LABEL, Viewer
from o365lic.ui import cards, changes, money, reads, sections
from o365lic.ui.downloads import csv_and_xlsx

RESTRICTED_LABEL = "Restricted to chosen groups"
SECURITY_OPTIONS = [ALL_USERS_LABEL, RESTRICTED_LABEL]
LOCKED_CAPTION = "Synced from Microsoft 365 — fields are locked"
UNSYNCED_CAPTION = "Disconnected from Microsoft 365 — no longer synced (data kept)"
#: The columns of a users download: header -> column.
USER_COLUMNS = {"Name": "display_name", "User principal name": "user_principal_name", "Mail": "mail",
                "Enabled": "account_enabled"}

#: The synced fields shown read-only, two to a row: (label, column of ``reports.licenses``).
SYNCED_FIELDS: tuple[tuple[tuple[str, str], tuple[str, str] | None], ...] = (
    (("License", "license_name"), ("SKU", "sku_part_number")),
    (("Product ID", "sku_id"), ("Tenant ID", "tenant_id")),
    (("Status", "status"), ("Free", "is_free")),
    (("Active", "active"), ("Consumed", "consumed")),
    (("Unused", "unused"), ("Over-assigned", "over_assigned")),
    (("Warning units", "warning_units"), ("Suspended units", "suspended_units")),
    (("Last synced", "synced_at"), None),
)
_USER_CONFIG = {
    "display_name": st.column_config.TextColumn("Name"),
    "user_principal_name": st.column_config.TextColumn("User principal name"),
    "mail": st.column_config.TextColumn("Mail"),
    "account_enabled": st.column_config.CheckboxColumn("Enabled"),
    "licenses": st.column_config.TextColumn("Licenses", width="large"),
}


def _notice_key(asset_id: int) -> str:
    return f"asset_notice_{asset_id}"


def _save_notes(asset_id: int) -> None:
    """Callback: save one asset's notes (always editable, synced or not)."""
    notes = str(st.session_state.get(f"notes_{asset_id}", "") or "").strip() or None

    def save(who: Viewer) -> str:
        changes.save_notes(ui.context().store, who, asset_id, notes)
        return "Notes saved."

    ui.act(_notice_key(asset_id), "edit_assets", save, failure="{Exc}")


def _save_security(asset_id: int) -> None:
    """Callback: save one asset's security settings (editable on synced assets too)."""
    restricted = st.session_state.get(f"security_{asset_id}") == RESTRICTED_LABEL
    groups = [int(g) for g in st.session_state.get(f"security_groups_{asset_id}") or []]

    def save(who: Viewer) -> str:
        changes.save_security(ui.context().store, who, asset_id, restricted, groups)
        return "Security saved: " + ("restricted to the chosen groups." if restricted
                                     else ALL_USERS_LABEL.lower() + ".")

    ui.act(_notice_key(asset_id), "edit_assets", save, failure="{Exc}")


def _value(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "Yes" if value else "No"
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return iso_utc(value)
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return ui.md(value)


def _synced_fields(row: Any) -> str:
    """The synced fields as a read-only markdown table (no widget can change them)."""
    def cell(field: tuple[str, str] | None) -> str:
        return f"{field[0]} | {_value(getattr(row, field[1]))}" if field else " | "

    lines = ["| Field | Value | Field | Value |", "| --- | --- | --- | --- |"]
    lines += [f"| {cell(left)} | {cell(right)} |" for left, right in SYNCED_FIELDS]
    return "\n".join(lines)


def _asset(row: Any, label: str, details: dict[str, Any], viewer: Viewer,
           group_names: dict[int, str]) -> None:
    """One license asset: lock, synced fields, tagged contacts, notes and security."""
    asset_id = int(row.asset_id)
    contacts = ui.license_contacts(asset_id, viewer)
    synced = bool(details.get("synced", True))
    icon = ":material/lock:" if synced else ":material/link_off:"
    with st.expander(f"{ui.md(label)} — {len(contacts):,} users tagged", icon=icon):
        ui.show_notice(_notice_key(asset_id))
        st.caption(f"{icon} {LOCKED_CAPTION if synced else UNSYNCED_CAPTION}")
        st.markdown(_synced_fields(row))
        st.markdown("**Licensed users**")
        if contacts.empty:
            st.caption("Nobody holds this license.")
        else:
            st.dataframe(contacts, hide_index=True, width="stretch", column_config=_USER_CONFIG)
            _download_users(contacts, USER_COLUMNS, f"Licensed users {label}", str(row.organization),
                            key=f"download_users_{asset_id}")

        may_edit = ui.allowed(viewer, "edit_assets")
        notes_col, security_col = st.columns(2)
        with notes_col:
            notes = details.get("notes")
            st.text_area("Notes", value=notes if isinstance(notes, str) else "", key=f"notes_{asset_id}",
                         disabled=not may_edit, height=120,
                         help="Your own notes: not synced, kept across syncs.")
            st.button("Save", key=f"save_notes_{asset_id}", on_click=_save_notes, args=(asset_id,),
                      disabled=not may_edit)
        with security_col:
            restricted = bool(details.get("restricted", False))
            current = [int(g) for g in details.get("group_ids", []) if int(g) in group_names]
            # restricting needs a group to restrict to: without one, the option is not offered
            options = SECURITY_OPTIONS if group_names or restricted else SECURITY_OPTIONS[:1]
            choice = st.radio("Security", options, index=1 if restricted else 0,
                              key=f"security_{asset_id}", disabled=not may_edit,
                              help="Who may see this license asset (Administrators see everything).")
            if len(options) == 1:
                st.caption("To restrict this license to some people, create a group on the Settings page "
                           "(Users & groups) first.")
            st.multiselect("Groups", list(group_names), default=current, key=f"security_groups_{asset_id}",
                           format_func=lambda g: group_names.get(int(g), f"group {g}"),
                           disabled=not may_edit or choice != RESTRICTED_LABEL,
                           placeholder="Choose groups" if group_names else "No groups yet (Settings page)")
            st.button("Save", key=f"save_security_{asset_id}", on_click=_save_security, args=(asset_id,),
                      disabled=not may_edit)
        if not may_edit:
            st.caption(ui.not_allowed(viewer, "edit_assets"))


def _download_users(frame: pd.DataFrame, columns: dict[str, str], title: str, organization: str, *,
                    key: str) -> None:
    """"Download users" (CSV, formula-guarded) and "Download users Excel" of a users table."""
    sheet = pd.DataFrame({header: frame[column] for header, column in columns.items()})
    csv_and_xlsx(sheet, title, organization, key=key, label="Download users", csv_label="Download users",
                 csv=export.table_csv(frame, columns).encode("utf-8"))


def _users(organization: str, viewer: Viewer) -> None:
    """Every contact of the organization with the licenses tagged on them, and its download."""
    users = ui.organization_contacts(organization, viewer)
    st.subheader("Users")
    if users.empty:
        st.caption("No users have been synced for this organization.")
        return
    licensed = int((users["licenses"] != "").sum())
    st.caption(f"{ui.plural(len(users), 'user')}, {licensed:,} with a license shown here")
    st.dataframe(users, hide_index=True, width="stretch", column_config=_USER_CONFIG, key="organization_users")
    _download_users(users, {**USER_COLUMNS, "Licenses": "licenses"}, "Users", organization,
                    key="download_organization_users")


def render() -> None:
    """Draw the Organization page."""
    viewer = ui.viewer()  # signed-out: the sign-in screen, and the run stops
    st.title("Organization")
    names = ui.organization_names(viewer)
    if not names:
        st.info("No organizations yet. Connect a tenant on the **Settings** page.")
        st.page_link("pages/settings.py", label="Go to the Settings page", icon=":material/settings:")
        return

    left, right = st.columns([4, 2], vertical_alignment="bottom")
    organization = left.selectbox("Organization", names, key="organization_name")
    include_free = right.toggle(
        "Include free SKUs", value=False, key="organization_include_free",
        help="Free, viral and trial SKUs are left out by default.",
    )
    if organization is None:
        return
    chosen = ui.LicenseFilter.of([organization], "", include_free, viewer)

    st.subheader("Office 365 Licenses")
    integrations, stale_hours = reads.tenant_states(viewer)
    table = cards.prepare(reads.license_costs(chosen), integrations, stale_hours)
    if table.empty:
        free = ui.totals(ui.LicenseFilter.of([organization], "", True, viewer))["licenses"]
        if free:
            st.info(f"{ui.md(organization)} has only free, viral or trial SKUs ({free:,}). "
                    "Switch on **Include free SKUs** to see them.")
        else:
            st.info(f"No licenses have been synced for {ui.md(organization)} yet. "
                    "Sync its tenant on the **Sync** page.")
        _users(organization, viewer)
        return

    cards.show_cards(table)
    money.show_costs(table)
    order, config = cards.table_config(with_organization=False, with_free=include_free,
                                       with_state=bool((table["data_state"] != "").any()))
    with st.container(key="organization_licenses"):  # the browser test finds the table by it
        st.dataframe(table, column_order=order, column_config=config, hide_index=True, width="stretch")
    csv_and_xlsx(sheets.costs_sheet(table).assign(**{"Free / trial": table["kind"].to_numpy(),
                                                     "Last Synced (UTC)": table["synced_at"].to_numpy()}),
                 "Office 365 Licenses", organization, key="organization_download",
                 csv=export.licenses_csv(table).encode("utf-8"))

    st.altair_chart(charts.license_chart(table[table["kind"] == ""], title=f"Licenses of {organization}, by Unused",
                                         by="unused"), width="stretch")
    sections.organization_sections(organization, include_free, viewer)

    st.subheader("License assets")
    st.caption("Each license is an “Office 365 Licenses” asset: open one for its users, notes and security.")
    leftover = st.container()  # the outcome of an action on an asset no longer shown to the viewer
    details = {int(r["asset_id"]): r for r in ui.license_assets(chosen).to_dict("records")}
    group_names = {group_id: name for group_id, name, _ in ui.groups()}
    labels = charts.license_labels(table)
    for label, row in zip(labels, table.itertuples(index=False)):
        _asset(row, label, details.get(int(row.asset_id), {}), viewer, group_names)
    with leftover:
        for key in [k for k in st.session_state if str(k).startswith("asset_notice_")]:
            ui.show_notice(str(key))
    _users(organization, viewer)


ui.run_page(render)
