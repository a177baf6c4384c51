"""Organization: one organization's "Office 365 Licenses", a chart per license, tagged contacts,
and per license asset its locked synced fields, notes and security settings."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from o365lic import charts, ui
from o365lic.export import iso_utc
from o365lic.store import (
    ALL_USERS_LABEL,
    LockedError,
    SecurityError,
    StoreError,
    Viewer,
    set_asset_security,
    update_asset,
)

RESTRICTED_LABEL = "Restricted to chosen groups"
SECURITY_OPTIONS = [ALL_USERS_LABEL, RESTRICTED_LABEL]
LOCKED_CAPTION = "Synced from Microsoft 365 — fields are locked"
UNSYNCED_CAPTION = "Disconnected from Microsoft 365 — no longer synced (data kept)"

#: The synced fields shown read-only, two to a row: (label, column of ``reports.licenses``).
SYNCED_FIELDS: tuple[tuple[tuple[str, str], tuple[str, str] | None], ...] = (
    (("License", "license_name"), ("SKU", "sku_part_number")),
    (("SKU ID", "sku_id"), ("Tenant ID", "tenant_id")),
    (("Status", "status"), ("Free", "is_free")),
    (("Active", "active"), ("Consumed", "consumed")),
    (("Unused", "unused"), ("Over-assigned", "over_assigned")),
    (("Warning units", "warning_units"), ("Suspended units", "suspended_units")),
    (("Last synced", "synced_at"), None),
)


def _file_name(organization: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", organization.lower()).strip("-")
    return f"office365-licenses-{slug or 'organization'}.csv"


def _notice_key(asset_id: int) -> str:
    return f"asset_notice_{asset_id}"


def _show_notice(asset_id: int) -> None:
    notice = st.session_state.pop(_notice_key(asset_id), None)
    if notice:
        (st.success if notice[0] == "success" else st.error)(notice[1])


def _save_notes(asset_id: int) -> None:
    """Callback: save one asset's notes (always editable, synced or not)."""
    notes = str(st.session_state.get(f"notes_{asset_id}", "") or "")
    try:
        update_asset(ui.context().store, asset_id, notes=notes.strip() or None)
    except (LockedError, SecurityError, LookupError, ValueError, StoreError) as exc:
        st.session_state[_notice_key(asset_id)] = ("error", str(exc))
        return
    finally:
        ui.clear_caches()
    st.session_state[_notice_key(asset_id)] = ("success", "Notes saved.")


def _save_security(asset_id: int) -> None:
    """Callback: save one asset's security settings (editable on synced assets too)."""
    restricted = st.session_state.get(f"security_{asset_id}") == RESTRICTED_LABEL
    groups = [int(g) for g in st.session_state.get(f"security_groups_{asset_id}") or []]
    try:
        set_asset_security(ui.context().store, asset_id, restricted=restricted,
                           group_ids=groups if restricted else [])
    except (LockedError, SecurityError, LookupError, ValueError, StoreError) as exc:
        st.session_state[_notice_key(asset_id)] = ("error", str(exc))
        return
    finally:
        ui.clear_caches()
    st.session_state[_notice_key(asset_id)] = (
        "success", "Security saved: " + ("restricted to the chosen groups." if restricted
                                         else ALL_USERS_LABEL.lower() + "."))


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
    return str(value).replace("|", "\\|")


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
    contacts = ui.license_contacts(asset_id)
    synced = bool(details.get("synced", True))
    icon = ":material/lock:" if synced else ":material/link_off:"
    with st.expander(f"{label} — {len(contacts):,} users tagged", icon=icon):
        _show_notice(asset_id)
        st.caption(f"{icon} {LOCKED_CAPTION if synced else UNSYNCED_CAPTION}")
        st.markdown(_synced_fields(row))
        st.markdown("**Licensed users**")
        if contacts.empty:
            st.caption("Nobody holds this license.")
        else:
            st.dataframe(
                contacts, hide_index=True, width="stretch",
                column_config={
                    "display_name": st.column_config.TextColumn("Name"),
                    "user_principal_name": st.column_config.TextColumn("User principal name"),
                    "mail": st.column_config.TextColumn("Mail"),
                    "account_enabled": st.column_config.CheckboxColumn("Enabled"),
                },
            )

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
            choice = st.radio("Security", SECURITY_OPTIONS, index=1 if restricted else 0,
                              key=f"security_{asset_id}", disabled=not may_edit,
                              help="Who may see this license asset (Administrators see everything).")
            st.multiselect("Groups", list(group_names), default=current, key=f"security_groups_{asset_id}",
                           format_func=lambda g: group_names.get(int(g), f"group {g}"),
                           disabled=not may_edit or choice != RESTRICTED_LABEL,
                           placeholder="Choose groups" if group_names else "No groups yet (Settings page)")
            st.button("Save", key=f"save_security_{asset_id}", on_click=_save_security, args=(asset_id,),
                      disabled=not may_edit)
        if not may_edit:
            st.caption(ui.not_allowed(viewer, "edit_assets"))


def render() -> None:
    """Draw the Organization page."""
    viewer = ui.viewer()  # signed-out: the sign-in screen, and the run stops
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
    filters: dict[str, Any] = {"organizations": [organization], "include_free": include_free, "viewer": viewer}

    st.subheader("Office 365 Licenses")
    table = ui.licenses(**filters)
    if table.empty:
        free = ui.totals(organizations=[organization], include_free=True, viewer=viewer)["licenses"]
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

    st.subheader("License assets")
    st.caption("Each license is an “Office 365 Licenses” asset: open one for its users, notes and security.")
    details = {int(r["asset_id"]): r for r in ui.license_assets(**filters).to_dict("records")}
    group_names = {group_id: name for group_id, name, _ in ui.groups()}
    labels = charts.license_labels(table)
    for label, row in zip(labels, table.itertuples(index=False)):
        _asset(row, label, details.get(int(row.asset_id), {}), viewer, group_names)


ui.run_page(render)
