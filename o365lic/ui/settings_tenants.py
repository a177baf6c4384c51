"""Settings, "Tenants" tab: connect a tenant; discover the partner's customers and match them."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from o365lic.store import Viewer
from o365lic.ui import changes
from o365lic.ui.actions import act, notify, show_notice
from o365lic.ui.context import context
from o365lic.ui.display import md, plural
from o365lic.ui.reads import all_organizations, match_state_count, tenant_matches
from o365lic.ui.settings_common import names_of
from o365lic.ui.settings_sync import page_of
from o365lic.ui.signin import allowed, not_allowed
from o365lic.wording import connect_error, connect_problem

__all__ = ["MATCH_FILTERS", "NEW_ORGANIZATION", "render"]

NEW_ORGANIZATION = "Create a new organization"
MATCH_FILTERS = ["Unmatched", "Matched", "Ignored"]
_CONNECT_NOTICE = "connect_notice"
_CONNECT_DETAIL = "connect_detail"
_MATCH_NOTICE = "match_notice"
_MATCH_VERSION = "match_table_version"


def _connect() -> None:
    """Callback of the connect form: check the tenant with Microsoft, match it, save it."""
    state = st.session_state
    choice = state.get("connect_organization_choice", NEW_ORGANIZATION)
    organization = state.get("connect_organization_new", "") if choice == NEW_ORGANIZATION else str(choice)
    tenant = state.get("connect_tenant_input", "")
    state.pop(_CONNECT_DETAIL, None)
    problem = connect_problem(tenant, organization)
    if problem:
        notify(_CONNECT_NOTICE, "error", problem)
        return

    def connect(who: Viewer) -> str:
        try:
            integration = changes.connect(context(), who, tenant, organization)
        except ValueError as exc:
            plain, detail = connect_error(str(exc))
            if detail:
                state[_CONNECT_DETAIL] = detail
            raise ValueError(plain) from None
        return (f"Connected tenant {integration.tenant_id} to {md(integration.organization)}. "
                "Sync it on the Sync page.")

    if act(_CONNECT_NOTICE, "manage_integrations", connect, failure="{Exc}"):
        state["connect_tenant_input"] = ""
        state["connect_organization_new"] = ""


def _connect_form(viewer: Viewer) -> None:
    st.subheader("Connect a tenant")
    with st.form("connect_tenant"):
        st.text_input(
            "Tenant ID or domain", key="connect_tenant_input",
            placeholder="contoso.onmicrosoft.com or 72f988bf-86f1-41af-91ab-2d7cd011db47",
        )
        left, right = st.columns(2)
        left.selectbox(
            "Match to organization", [NEW_ORGANIZATION, *all_organizations(viewer)],
            key="connect_organization_choice",
        )
        right.text_input(
            "New organization name", key="connect_organization_new",
            help=f"Used when “{NEW_ORGANIZATION}” is chosen.",
        )
        st.form_submit_button("Connect tenant", type="primary", on_click=_connect,
                              disabled=not allowed(viewer, "manage_integrations"))
    show_notice(_CONNECT_NOTICE)
    detail = st.session_state.pop(_CONNECT_DETAIL, None)
    if detail:
        with st.expander("What Microsoft answered (for support)"):
            st.text(detail)


def _discover() -> None:
    """Callback: partner discovery (Microsoft's list of the partner's customers), new tenants recorded as unmatched
    (or matched at once when an organization has exactly their name)."""
    def discover(who: Viewer) -> str:
        found, added = changes.add_tenants_found(context(), who)
        unmatched = sum(1 for _, state in added if state == "unmatched")
        matched = len(added) - unmatched
        st.session_state["match_filter"] = "Unmatched" if unmatched or not matched else "Matched"
        return (f"Discovered {plural(found, 'customer tenant')}: {unmatched} new unmatched, "
                f"{matched} new matched by exact organization name, {found - len(added)} already known.")

    act(_MATCH_NOTICE, "manage_integrations", discover, "Discovery failed: {exc}")


def _names(table: pd.DataFrame) -> str:
    return md(names_of([str(n) for n in table["tenant_name"]]))


def _match(label: str, action: changes.MatchAction, tenant_ids: list[str], names: str, done: str,
           organization: str | None = None) -> None:
    """Callback of a match button: the action on the chosen tenants, a success line or an error."""
    def run(who: Viewer) -> str:
        changed = changes.match(context().store, who, action, tenant_ids, organization)
        st.session_state[_MATCH_VERSION] = st.session_state.get(_MATCH_VERSION, 0) + 1  # clear the selection
        return f"{label}: {plural(changed, 'tenant')} {done} ({names})."

    act(_MATCH_NOTICE, "manage_integrations", run, failure=label + ": {exc}. Nothing was changed.")


def _match_table(table: pd.DataFrame, state: str) -> Sequence[int]:
    """The tenants of one match state; returns the positions of the selected rows."""
    version = st.session_state.get(_MATCH_VERSION, 0)
    columns = {
        "Unmatched": ["tenant_name", "domain", "suggestion", "reason", "tenant_id"],
        "Matched": ["tenant_name", "domain", "organization", "status", "tenant_id"],
        "Ignored": ["tenant_name", "domain", "tenant_id"],
    }[state]
    event = st.dataframe(
        table, hide_index=True, width="stretch", key=f"match_table_{state.lower()}_{version}",
        on_select="rerun", selection_mode="multi-row", column_order=columns,
        column_config={
            "tenant_name": st.column_config.TextColumn("Tenant", width=170),
            "domain": st.column_config.TextColumn("Domain", width=210),
            "suggestion": st.column_config.TextColumn("Suggested organization", width=190),
            "reason": st.column_config.TextColumn("Why", width=170),
            "organization": st.column_config.TextColumn("Organization", width=170),
            "status": st.column_config.TextColumn("Status", width=110),
            "tenant_id": st.column_config.TextColumn("Tenant ID", width=300),
        },
    )
    rows = list(event.selection.rows) if event is not None else []  # type: ignore[union-attr]
    return [r for r in rows if 0 <= r < len(table)]


#: Per match state, the buttons beside the table: (label, action, what it did).
_ACTIONS: dict[str, list[tuple[str, changes.MatchAction, str]]] = {
    "Unmatched": [("Accept Suggested Match", "accept", "matched to the suggested organization"),
                  ("Create Organization", "create", "matched to a new organization named like the tenant"),
                  ("Ignore", "ignore", "ignored (not synced)")],
    "Matched": [("Revert Match", "revert", "unmatched (not synced; their data stays)"),
                ("Ignore", "ignore", "ignored (not synced; their data stays)")],
    "Ignored": [("Revert Match", "revert", "unmatched again"),
                ("Create Organization", "create", "matched to a new organization named like the tenant")],
}


def _discover_and_match(viewer: Viewer) -> None:
    st.subheader("Discover & match tenants")
    ctx = context()
    may_manage = allowed(viewer, "manage_integrations")
    st.button("Discover tenants", key="discover_tenants", on_click=_discover, icon=":material/travel_explore:",
                disabled=not may_manage or not ctx.settings.partner_tenant,
                help="Asks Microsoft for the partner tenant's customers (Graph `GET /contracts`).")
    if not ctx.settings.partner_tenant:
        st.caption("To find your customers' tenants, set O365LIC_PARTNER_TENANT to your own (partner) "
                      "tenant.")
    else:
        st.caption("Lists your customers' tenants as Microsoft knows them. "
                      "Unmatched and ignored tenants are not synced.")
    show_notice(_MATCH_NOTICE)

    state = st.radio("Show", MATCH_FILTERS, horizontal=True, key="match_filter")
    total = match_state_count(state.lower())  # type: ignore[arg-type]
    if not total:  # nothing to list: no suggestions to work out either
        st.caption(f"No {state.lower()} tenants.")
        return
    table = page_of(tenant_matches(state.lower()), f"match_page_{state.lower()}",  # type: ignore[arg-type]
                    "Tenants").reset_index(drop=True)
    chosen = table.iloc[list(_match_table(table, state))]
    if not may_manage:
        st.caption(not_allowed(viewer, "manage_integrations"))
    elif chosen.empty:
        st.caption("Select tenants with the boxes at the left of the table to act on one or many at once.")
    else:
        st.caption(f"{plural(len(chosen), 'tenant')} selected: {_names(chosen)}")
    disabled = chosen.empty or not may_manage
    tenant_ids = [str(t) for t in chosen["tenant_id"]]
    names = _names(chosen)

    match_label = "Change Match" if state == "Matched" else "Match To"
    plain = _ACTIONS[state]
    widths = [0.6 + 0.09 * len(label) for label, _, _ in plain]  # room for each label
    columns = st.columns(widths + [0.2, 3.0, 1.3], vertical_alignment="bottom")
    for column, (label, action, done) in zip(columns, plain):
        column.button(label, key=f"{label.lower().replace(' ', '_')}_{state.lower()}", disabled=disabled,
                      width="stretch", type="primary" if action == "accept" else "secondary",
                      on_click=_match, args=(label, action, tenant_ids, names, done))
    organization = columns[-2].selectbox(
        "Organization", all_organizations(viewer), index=None, key=f"match_to_organization_{state.lower()}",
        placeholder="Search organizations", disabled=disabled)
    columns[-1].button(match_label, key=f"{match_label.lower().replace(' ', '_')}_{state.lower()}",
                       disabled=disabled or not organization, width="stretch", on_click=_match,
                       args=(match_label, "match", tenant_ids, names, f"matched to {md(organization)}",
                             organization))


def render(viewer: Viewer) -> None:
    """The Tenants tab."""
    _connect_form(viewer)
    _discover_and_match(viewer)


