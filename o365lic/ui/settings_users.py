"""Settings, "Users & groups" tab (Administrators): app users and roles, groups and members."""

from __future__ import annotations

import streamlit as st

from o365lic.store import ROLES, Viewer
from o365lic.ui import changes
from o365lic.ui.actions import act, notify, show_notice
from o365lic.ui.context import context
from o365lic.ui.display import md, plural
from o365lic.ui.reads import app_users, groups
from o365lic.ui.signin import allowed, auth_configured, not_allowed

__all__ = ["render"]

_NOTICE = "users_notice"


def _add_user() -> None:
    state = st.session_state
    email = str(state.get("new_user_email") or "")
    role = str(state.get("new_user_role") or "Read-only")
    name = str(state.get("new_user_name") or "").strip() or None

    def add(who: Viewer) -> str:
        address = changes.save_user(context().store, who, email, name, role)
        return f"Saved {md(address)} as {role}."

    if act(_NOTICE, "manage_users", add, failure="{Exc}"):
        state["new_user_email"] = ""
        state["new_user_name"] = ""


def _add_group() -> None:
    state = st.session_state
    name = str(state.get("new_group_name") or "")

    def add(who: Viewer) -> str:
        return f"Group {md(changes.save_group(context().store, who, name))} saved."

    if act(_NOTICE, "manage_users", add, failure="{Exc}"):
        state["new_group_name"] = ""


def _save_members(group_names: dict[int, str]) -> None:
    state = st.session_state
    group_id = state.get("members_group")
    if group_id is None:
        notify(_NOTICE, "error", "Choose a group first.")
        return
    members = [int(u) for u in state.get(f"members_of_{group_id}") or []]
    name = group_names.get(int(group_id), "The group")

    def save(who: Viewer) -> str:
        changes.save_members(context().store, who, int(group_id), name, members)
        return f"{md(name)} has {plural(len(members), 'member')} now."

    act(_NOTICE, "manage_users", save, failure="{Exc}")


def render(viewer: Viewer) -> None:
    """The Users & groups tab."""
    st.subheader("Users & groups")
    if not allowed(viewer, "manage_users"):
        st.caption(not_allowed(viewer, "manage_users") + " Only Administrators manage users and groups.")
        return
    if not auth_configured():
        st.caption("Sign-in is not configured (`[auth]` in `.streamlit/secrets.toml`), so everybody who can open "
                   "the app is the local Administrator. Users, roles and groups take effect with sign-in; the "
                   "first person to sign in becomes Administrator, others start Read-only. If you add users "
                   "before that, add yourself as Administrator too.")
    show_notice(_NOTICE)
    users = app_users()
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

    known = groups()
    if not known:
        return
    group_names = {group_id: name for group_id, name, _ in known}
    members_of = {group_id: members for group_id, _, members in known}
    st.markdown("**Group members**")
    group_id = st.selectbox("Group", list(group_names), format_func=lambda g: group_names[g], key="members_group")
    if group_id is None:
        return
    user_labels = {int(r.id): f"{r.display_name} ({r.email})" for r in users.itertuples(index=False)}
    st.multiselect("Members", list(user_labels), default=[u for u in members_of[group_id] if u in user_labels],
                   format_func=lambda u: user_labels.get(int(u), str(u)), key=f"members_of_{group_id}")
    st.button("Save members", key="save_members", on_click=_save_members, args=(group_names,))
