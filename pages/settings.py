"""Settings: connect, discover and match tenants; sync settings per tenant; free SKUs; disconnect;
users & groups."""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import pandas as pd
import streamlit as st

from o365lic import ui
from o365lic.graph import GraphError
from o365lic.store import (
    DISCONNECT_LABELS,
    free_sku_list,
    save_free_skus,
    ROLES,
    DisconnectReport,
    StoreError,
    Viewer,
    accept_suggested_matches,
    add_app_user,
    add_discovered_tenants,
    add_group,
    create_organizations_for,
    disconnect_tenant,
    ignore_tenants,
    match_tenants,
    revert_matches,
    set_group_members,
    update_integration,
)
from o365lic.tenants import connect_tenant, discover_tenants

NEW_ORGANIZATION = "Create a new organization"
MATCH_FILTERS = ["Unmatched", "Matched", "Ignored"]
TABS = ["Tenants", "Sync settings", "Free SKUs", "Disconnect", "Users & groups"]
DEFAULT_INTERVAL_MINUTES = 60

_NOTICE = "settings_notice"
_CONNECT_NOTICE = "connect_notice"
_MATCH_NOTICE = "match_notice"
_DISCONNECT_NOTICE = "disconnect_notice"
_USERS_NOTICE = "users_notice"
_FREE_NOTICE = "free_skus_notice"
_FREE_TEXT = "free_skus_text"
_MATCH_VERSION = "match_table_version"
#: The errors an action can raise with a message for the user (IntegrationError and
#: SecurityError are ValueErrors; GraphError is Microsoft saying no).
_ACTION_ERRORS = (ValueError, LookupError, StoreError, GraphError)


def _notify(key: str, kind: str, message: str) -> None:
    st.session_state[key] = (kind, message)


def _attempt(key: str, action: Callable[[], str], failure: str = "{exc}") -> bool:
    """Run a callback's action: its success message, or its error (and nothing changed),
    is left for the rerun to show; cached reads are cleared either way."""
    try:
        message = action()
    except _ACTION_ERRORS as exc:
        _notify(key, "error", failure.format(exc=exc))
        return False
    finally:
        ui.clear_caches()
    _notify(key, "success", message)
    return True


def _show_notice(key: str) -> None:
    """Show (once) the outcome a callback left in the session state."""
    notice = st.session_state.pop(key, None)
    if notice:
        {"success": st.success, "warning": st.warning}.get(notice[0], st.error)(notice[1])


# --------------------------------------------------------------------------- connect a tenant


def _connect() -> None:
    """Callback of the connect form: check the tenant with Microsoft, match it, save it."""
    state = st.session_state
    choice = state.get("connect_organization_choice", NEW_ORGANIZATION)
    organization = state.get("connect_organization_new", "") if choice == NEW_ORGANIZATION else str(choice)
    tenant = state.get("connect_tenant_input", "")
    try:
        ctx = ui.context()
        integration = connect_tenant(ctx.store, ctx.settings, tenant, organization)
    except (ValueError, StoreError) as exc:  # bad input, unknown tenant, already connected
        state[_CONNECT_NOTICE] = ("error", str(exc))
        return
    ui.clear_caches()
    state["connect_tenant_input"] = ""
    state["connect_organization_new"] = ""
    state[_CONNECT_NOTICE] = ("success", f"Connected tenant {integration.tenant_id} to "
                                         f"{integration.organization}. Sync it on the Sync page.")


def _connect_form(may_manage: bool) -> None:
    st.subheader("Connect a tenant")
    with st.form("connect_tenant"):
        st.text_input(
            "Tenant ID or domain", key="connect_tenant_input",
            placeholder="contoso.onmicrosoft.com or 72f988bf-86f1-41af-91ab-2d7cd011db47",
        )
        left, right = st.columns(2)
        left.selectbox(
            "Match to organization", [NEW_ORGANIZATION, *ui.all_organizations()],
            key="connect_organization_choice",
        )
        right.text_input(
            "New organization name", key="connect_organization_new",
            help=f"Used when “{NEW_ORGANIZATION}” is chosen.",
        )
        st.form_submit_button("Connect tenant", type="primary", on_click=_connect, disabled=not may_manage)
    _show_notice(_CONNECT_NOTICE)


# --------------------------------------------------------------------------- discover & match


def _discover() -> None:
    """Callback: partner discovery (``GET /contracts``), new tenants recorded as unmatched
    (or matched at once when an organization has exactly their name)."""
    def discover() -> str:
        ctx = ui.context()
        found = discover_tenants(ctx.settings)
        added = add_discovered_tenants(ctx.store, found)
        unmatched = sum(1 for _, state in added if state == "unmatched")
        matched = len(added) - unmatched
        st.session_state["match_filter"] = "Unmatched" if unmatched or not matched else "Matched"
        return (f"Discovered {ui.plural(len(found), 'customer tenant')}: {unmatched} new unmatched, "
                f"{matched} new matched by exact organization name, {len(found) - len(added)} already known.")

    _attempt(_MATCH_NOTICE, discover, "Discovery failed: {exc}")


def _names(table: pd.DataFrame) -> str:
    names = [str(n) for n in table["tenant_name"]]
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _run_action(label: str, action: Callable[[list[str]], int], chosen: pd.DataFrame, done: str) -> None:
    """Carry out a match action on the chosen tenants; a success line, or an error and no change."""
    tenant_ids = [str(t) for t in chosen["tenant_id"]]
    try:
        changed = action(tenant_ids)
    except _ACTION_ERRORS as exc:
        ui.clear_caches()
        st.error(f"{label}: {exc}. Nothing was changed.")
        return
    ui.clear_caches()
    st.session_state[_MATCH_VERSION] = st.session_state.get(_MATCH_VERSION, 0) + 1  # clear the selection
    _notify(_MATCH_NOTICE, "success", f"{label}: {ui.plural(changed, 'tenant')} {done} ({_names(chosen)}).")
    st.rerun()


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
            "tenant_name": st.column_config.TextColumn("Tenant"),
            "domain": st.column_config.TextColumn("Domain"),
            "suggestion": st.column_config.TextColumn("Suggested organization"),
            "reason": st.column_config.TextColumn("Why"),
            "organization": st.column_config.TextColumn("Organization"),
            "status": st.column_config.TextColumn("Status"),
            "tenant_id": st.column_config.TextColumn("Tenant ID"),
        },
    )
    rows = list(event.selection.rows) if event is not None else []  # type: ignore[union-attr]
    return [r for r in rows if 0 <= r < len(table)]


def _discover_and_match(viewer: Viewer) -> None:
    st.subheader("Discover & match tenants")
    ctx = ui.context()
    may_manage = ui.allowed(viewer, "manage_integrations")
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.button("Discover tenants", key="discover_tenants", on_click=_discover, icon=":material/travel_explore:",
                disabled=not may_manage or not ctx.settings.partner_tenant)
    if not ctx.settings.partner_tenant:
        right.caption("Set O365LIC_PARTNER_TENANT to the MSP's own tenant to discover its customers "
                      "(`GET /contracts`).")
    else:
        right.caption("Lists the customer tenants of the partner tenant (`GET /contracts`). "
                      "Unmatched and ignored tenants are not synced.")
    _show_notice(_MATCH_NOTICE)

    state = st.radio("Show", MATCH_FILTERS, horizontal=True, key="match_filter")
    table = ui.tenant_matches(state.lower())  # type: ignore[arg-type]
    if table.empty:
        st.caption(f"No {state.lower()} tenants.")
        return
    rows = _match_table(table, state)
    chosen = table.iloc[list(rows)]
    if not may_manage:
        st.caption(ui.not_allowed(viewer, "manage_integrations"))
    elif chosen.empty:
        st.caption("Select tenants with the boxes at the left of the table to act on one or many at once.")
    else:
        st.caption(f"{ui.plural(len(chosen), 'tenant')} selected: {_names(chosen)}")
    disabled = chosen.empty or not may_manage
    store = ctx.store

    organizations = ui.all_organizations()
    accept = lambda ids: accept_suggested_matches(store, ids)  # noqa: E731
    create = lambda ids: create_organizations_for(store, ids)  # noqa: E731
    ignore = lambda ids: ignore_tenants(store, ids)  # noqa: E731
    revert = lambda ids: revert_matches(store, ids)  # noqa: E731
    # (label, key, action, what it did) of the buttons beside the table, then the "to organization" action
    actions: dict[str, list[tuple[str, Callable[[list[str]], int], str]]] = {
        "Unmatched": [("Accept Suggested Match", accept, "matched to the suggested organization"),
                      ("Create Organization", create, "matched to a new organization named like the tenant"),
                      ("Ignore", ignore, "ignored (not synced)")],
        "Matched": [("Revert Match", revert, "unmatched (not synced; their data stays)"),
                    ("Ignore", ignore, "ignored (not synced; their data stays)")],
        "Ignored": [("Revert Match", revert, "unmatched again"),
                    ("Create Organization", create, "matched to a new organization named like the tenant")],
    }
    match_label = "Change Match" if state == "Matched" else "Match To"
    plain = actions[state]
    widths = [0.6 + 0.09 * len(label) for label, _, _ in plain]  # room for each label
    columns = st.columns(widths + [0.2, 3.0, 1.3], vertical_alignment="bottom")
    for column, (label, action, done) in zip(columns, plain):
        key = f"{label.lower().replace(' ', '_')}_{state.lower()}"
        if column.button(label, key=key, disabled=disabled, width="stretch",
                         type="primary" if label == "Accept Suggested Match" else "secondary"):
            _run_action(label, action, chosen, done)
    organization = columns[-2].selectbox(
        "Organization", organizations, index=None, key=f"match_to_organization_{state.lower()}",
        placeholder="Search organizations", disabled=disabled)
    if columns[-1].button(match_label, key=f"{match_label.lower().replace(' ', '_')}_{state.lower()}",
                          disabled=disabled or not organization, width="stretch"):
        _run_action(match_label, lambda ids: match_tenants(store, ids, str(organization)), chosen,
                    f"matched to {organization}")


# --------------------------------------------------------------------------- sync settings


def _update(tenant_id: str, label: str, **changes: Any) -> None:
    """Callback: change one tenant's sync settings, then show the outcome on the rerun."""
    def update() -> str:
        integration = update_integration(ui.context().store, tenant_id, **changes)
        return f"{integration.organization or tenant_id}: {label}"

    _attempt(_NOTICE, update)


def _save(tenant_id: str) -> None:
    licenses = bool(st.session_state.get(f"licenses_{tenant_id}", True))
    interval = int(st.session_state.get(f"interval_{tenant_id}") or DEFAULT_INTERVAL_MINUTES)
    _update(tenant_id, f"saved (Licenses {'on' if licenses else 'off'}, every {ui.plural(interval, 'minute')})",
            sync_licenses=licenses, sync_interval_minutes=interval)


def _set_paused(tenant_id: str, paused: bool) -> None:
    _update(tenant_id, "paused" if paused else "resumed", paused=paused)


def _managed_section(title: str, viewer: Viewer, notice: str, about: str | None = None) -> bool:
    """A section's heading, what it is about, why its controls are disabled (if they are) and
    the outcome of its last action; True when ``viewer`` may manage integrations."""
    st.subheader(title)
    if about:
        st.caption(about)
    may_manage = ui.allowed(viewer, "manage_integrations")
    if not may_manage:
        st.caption(ui.not_allowed(viewer, "manage_integrations"))
    _show_notice(notice)
    return may_manage


def _tenant_settings(viewer: Viewer) -> None:
    may_manage = _managed_section("Sync settings per tenant", viewer, _NOTICE)
    table = ui.integrations(match_state="matched")
    if table.empty:
        st.info("No tenant is connected and matched yet.")
        return
    st.caption("The sync interval is used by `python -m o365lic sync --due` (run it from cron): a tenant is "
               "synced when its last sync is older than its interval.")
    for row in table.itertuples(index=False):
        tenant_id = str(row.tenant_id)
        with st.container(border=True):
            info, settings, actions = st.columns([4, 4, 1], vertical_alignment="center")
            name = (f" · {row.tenant_name}" if isinstance(row.tenant_name, str)
                    and row.tenant_name != row.organization else "")
            domain = f" · {row.domain}" if isinstance(row.domain, str) else ""
            info.markdown(f"**{row.organization or 'Unmatched'}**{name}{domain}  \n"
                          f"`{tenant_id}` — Status: **{row.status}**")
            with settings, st.form(f"tenant_settings_{tenant_id}", border=False):
                box, interval, save = st.columns([1, 1.6, 0.8], vertical_alignment="bottom")
                box.checkbox("Licenses", value=bool(row.licenses), key=f"licenses_{tenant_id}",
                             help="Sync this tenant's licenses (off: only its users are refreshed).",
                             disabled=not may_manage)
                interval.number_input(
                    "Sync interval (minutes)", min_value=1, step=1, key=f"interval_{tenant_id}",
                    value=int(row.interval_minutes or DEFAULT_INTERVAL_MINUTES), disabled=not may_manage,
                    help="How often a scheduled sync (`sync --due`) syncs this tenant.")
                save.form_submit_button("Save", on_click=_save, args=(tenant_id,), key=f"save_{tenant_id}",
                                        disabled=not may_manage)
            if row.paused:
                actions.button("Resume", key=f"resume_{tenant_id}", on_click=_set_paused,
                               args=(tenant_id, False), icon=":material/play_arrow:", disabled=not may_manage)
            else:
                actions.button("Pause", key=f"pause_{tenant_id}", on_click=_set_paused,
                               args=(tenant_id, True), icon=":material/pause:", disabled=not may_manage)


# --------------------------------------------------------------------------- disconnect

_MODES = {label: mode for mode, label in DISCONNECT_LABELS.items()}
_CONSEQUENCES = {
    "keep-data": "Syncing stops for good. Its license assets, the “Office 365 Licenses” type and the sync "
                 "history stay, no longer marked as synced.",
    "delete-data": "Syncing stops and its license assets, their tags, subscriptions, sync runs and license "
                   "history are deleted (and the “Office 365 Licenses” type when no other tenant uses it). "
                   "Organizations and contacts stay.",
}


def _confirmation_words(tenant: pd.Series) -> list[str]:
    words = [str(tenant["tenant_id"])]
    if isinstance(tenant.get("organization"), str) and tenant["organization"]:
        words.insert(0, str(tenant["organization"]))
    return words


def _report_line(report: DisconnectReport, who: str) -> str:
    if report.mode == "keep-data":
        return (f"Disconnected {who}: syncing stopped; {ui.plural(report.assets, 'license asset')}, "
                f"{ui.plural(report.tags, 'tag')} and {ui.plural(report.snapshots, 'history snapshot')} kept "
                "(no longer synced).")
    line = (f"Disconnected {who} and deleted its data: {ui.plural(report.assets, 'license asset')}, "
            f"{ui.plural(report.tags, 'tag')} and {ui.plural(report.snapshots, 'history snapshot')} deleted")
    if report.type_deleted:
        line += "; the “Office 365 Licenses” type was deleted too (no other tenant uses it)"
    return line + ". Organizations and contacts stay."


def _disconnect(tenants: pd.DataFrame) -> None:
    """Callback of Confirm disconnect: only when the typed confirmation names the tenant."""
    state = st.session_state
    tenant_id = state.get("disconnect_tenant")
    mode = _MODES.get(str(state.get("disconnect_mode")))
    typed = " ".join(str(state.get("disconnect_confirm") or "").split()).lower()
    found = tenants[tenants["tenant_id"] == tenant_id]
    if not tenant_id or mode is None or found.empty:
        _notify(_DISCONNECT_NOTICE, "error", "Choose a tenant and a disconnect option first. Nothing was changed.")
        return
    tenant = found.iloc[0]
    words = _confirmation_words(tenant)
    if typed not in {w.lower() for w in words}:
        _notify(_DISCONNECT_NOTICE, "error",
                f"Type “{words[0]}” to confirm. Nothing was disconnected.")
        return
    def disconnect() -> str:
        report = disconnect_tenant(ui.context().store, str(tenant_id), mode)  # type: ignore[arg-type]
        return _report_line(report, f"{words[0]} ({tenant_id})")

    if _attempt(_DISCONNECT_NOTICE, disconnect, "{exc}. Nothing was changed."):
        state["disconnect_tenant"] = None
        state["disconnect_mode"] = None
        state["disconnect_confirm"] = ""


def _tenant_label(tenants: pd.DataFrame) -> Callable[[str], str]:
    labels = {
        str(r.tenant_id): (f"{r.organization} — " if isinstance(r.organization, str) else "")
        + f"{r.tenant_name} ({r.tenant_id}) · {r.match_state}"
        for r in tenants.itertuples(index=False)
    }
    return lambda tenant_id: labels.get(tenant_id, tenant_id)


def _disconnect_section(viewer: Viewer) -> None:
    may_manage = _managed_section("Disconnect a tenant", viewer, _DISCONNECT_NOTICE)
    tenants = pd.concat([ui.tenant_matches(s) for s in ("matched", "unmatched", "ignored")], ignore_index=True)
    if tenants.empty:
        st.info("No tenant is connected.")
        return
    tenant_id = st.selectbox("Tenant", tenants["tenant_id"].tolist(), index=None, key="disconnect_tenant",
                             format_func=_tenant_label(tenants), placeholder="Choose a tenant to disconnect",
                             disabled=not may_manage)
    label = st.radio("Disconnect option", list(DISCONNECT_LABELS.values()), index=None, key="disconnect_mode",
                     disabled=not may_manage)
    if not tenant_id or not label or not may_manage:
        return
    tenant = tenants[tenants["tenant_id"] == tenant_id].iloc[0]
    words = _confirmation_words(tenant)
    with st.container(border=True):
        st.warning(f"**{label}.** {_CONSEQUENCES[_MODES[label]]} This cannot be undone.",
                   icon=":material/warning:")
        st.text_input(f"Type “{words[0]}” to confirm", key="disconnect_confirm",
                      placeholder=words[0])
        st.button("Confirm disconnect", type="primary", key="confirm_disconnect", on_click=_disconnect,
                  args=(tenants,), icon=":material/link_off:")


# --------------------------------------------------------------------------- users & groups


def _add_user() -> None:
    state = st.session_state
    email = str(state.get("new_user_email") or "")
    role = str(state.get("new_user_role") or "Read-only")

    def add() -> str:
        add_app_user(ui.context().store, email, str(state.get("new_user_name") or "").strip() or None, role)
        return f"Saved {email.strip().lower()} as {role}."

    if _attempt(_USERS_NOTICE, add):
        state["new_user_email"] = ""
        state["new_user_name"] = ""


def _add_group() -> None:
    state = st.session_state
    name = str(state.get("new_group_name") or "")

    def add() -> str:
        add_group(ui.context().store, name)
        return f"Group {' '.join(name.split())} saved."

    if _attempt(_USERS_NOTICE, add):
        state["new_group_name"] = ""


def _save_members(group_names: dict[int, str]) -> None:
    state = st.session_state
    group_id = state.get("members_group")
    if group_id is None:
        _notify(_USERS_NOTICE, "error", "Choose a group first.")
        return
    members = [int(u) for u in state.get(f"members_of_{group_id}") or []]

    def save() -> str:
        set_group_members(ui.context().store, int(group_id), members)
        return f"{group_names.get(int(group_id), 'The group')} has {ui.plural(len(members), 'member')} now."

    _attempt(_USERS_NOTICE, save)


def _users_and_groups(viewer: Viewer) -> None:
    st.subheader("Users & groups")
    if not ui.allowed(viewer, "manage_users"):
        st.caption(ui.not_allowed(viewer, "manage_users") + " Only Administrators manage users and groups.")
        return
    if not ui.auth_configured():
        st.caption("Sign-in is not configured (`[auth]` in `.streamlit/secrets.toml`), so everybody who can open "
                   "the app is the local Administrator. Users, roles and groups take effect with sign-in; the "
                   "first person to sign in becomes Administrator, others start Read-only. If you add users "
                   "before that, add yourself as Administrator too.")
    _show_notice(_USERS_NOTICE)
    users = ui.app_users()
    if users.empty:
        st.caption("No users yet.")
    else:
        st.dataframe(users, hide_index=True, width="stretch", column_order=["email", "display_name", "role", "groups"],
                     column_config={"email": st.column_config.TextColumn("E-mail"),
                                    "display_name": st.column_config.TextColumn("Name"),
                                    "role": st.column_config.TextColumn("Role"),
                                    "groups": st.column_config.TextColumn("Groups")})

    add_user, add_group_col = st.columns(2)
    with add_user, st.form("add_user"):
        st.markdown("**Add a user or change a role**")
        st.text_input("E-mail", key="new_user_email", placeholder="someone@your-msp.com")
        st.text_input("Name", key="new_user_name")
        st.selectbox("Role", ROLES, index=ROLES.index("Read-only"), key="new_user_role")
        st.form_submit_button("Save user", on_click=_add_user)
    with add_group_col, st.form("add_group"):
        st.markdown("**Create a group**")
        st.text_input("Group name", key="new_group_name")
        st.form_submit_button("Create group", on_click=_add_group)

    groups = ui.groups()
    if not groups:
        return
    group_names = {group_id: name for group_id, name, _ in groups}
    members_of = {group_id: members for group_id, _, members in groups}
    st.markdown("**Group members**")
    group_id = st.selectbox("Group", list(group_names), format_func=lambda g: group_names[g], key="members_group")
    if group_id is None:
        return
    user_labels = {int(r.id): f"{r.display_name} ({r.email})" for r in users.itertuples(index=False)}
    st.multiselect("Members", list(user_labels), default=[u for u in members_of[group_id] if u in user_labels],
                   format_func=lambda u: user_labels.get(int(u), str(u)), key=f"members_of_{group_id}")
    st.button("Save members", key="save_members", on_click=_save_members, args=(group_names,))


# --------------------------------------------------------------------------- page


# --------------------------------------------------------------------------- free SKUs


def _save_free_skus(reset: bool) -> None:
    """Callback of Save / Reset: the list is replaced and every license re-flagged at once."""
    state = st.session_state

    def save() -> str:
        store = ui.context().store
        parts = None if reset else [p for p in re.split(r"[\s,;]+", str(state.get(_FREE_TEXT) or "")) if p]
        changed = save_free_skus(store, parts)
        state[_FREE_TEXT] = "\n".join(free_sku_list(store))
        what = "Back to the default list" if reset else "Free SKUs saved"
        return f"{what}: {ui.plural(changed, 'license')} re-flagged."

    _attempt(_FREE_NOTICE, save)


def _free_skus_section(viewer: Viewer) -> None:
    may_manage = _managed_section(
        "Free SKUs", viewer, _FREE_NOTICE,
        "Free, viral and trial SKUs are left out of totals and charts unless \"Include free SKUs\" is "
        "on. One SKU part number per line (e.g. FLOW_FREE). A SKU with 10,000 or more units, or "
        "whose subscriptions are all trials, counts as free whatever the list says.")
    if _FREE_TEXT not in st.session_state:
        st.session_state[_FREE_TEXT] = "\n".join(free_sku_list(ui.context().store))
    st.text_area("Free SKU part numbers", key=_FREE_TEXT, height=220, disabled=not may_manage)
    save, reset = st.columns(2)
    save.button("Save free SKUs", on_click=_save_free_skus, args=(False,), disabled=not may_manage)
    reset.button("Reset to the default list", on_click=_save_free_skus, args=(True,), disabled=not may_manage)


def _current_settings() -> None:
    settings = ui.context().settings
    with st.expander("Current connection settings"):
        mode = "Demo mode (built-in Microsoft 365 simulator)" if settings.demo_mode else "Microsoft 365"
        st.markdown(
            f"- Mode: {mode}\n"
            f"- Database: `{settings.db_path}`\n"
            f"- Sign-in host: `{settings.authority_host}`\n"
            f"- Graph URL: `{settings.graph_url}`\n"
            f"- Client id: `{settings.client_id or '-'}`\n"
            f"- Partner tenant: `{settings.partner_tenant or '-'}`\n"
            f"- Tenants synced at once: {settings.concurrency}\n\n"
            "Secrets are read from the environment or `.streamlit/secrets.toml` and never shown."
        )


def render() -> None:
    """Draw the Settings page."""
    viewer = ui.viewer()  # signed-out: the sign-in screen, and the run stops
    st.title("Settings")
    tenants, sync_settings, free_skus, disconnect, users = st.tabs(TABS)
    with tenants:
        _connect_form(ui.allowed(viewer, "manage_integrations"))
        _discover_and_match(viewer)
    with sync_settings:
        _tenant_settings(viewer)
    with free_skus:
        _free_skus_section(viewer)
    with disconnect:
        _disconnect_section(viewer)
    with users:
        _users_and_groups(viewer)
    _current_settings()


ui.run_page(render)
