"""Settings: connect and match tenants; per tenant sync settings (Licenses, pause / resume)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from o365lic import ui
from o365lic.store import StoreError, update_integration
from o365lic.tenants import connect_tenant

NEW_ORGANIZATION = "Create a new organization"
_NOTICE = "settings_notice"
_CONNECT_NOTICE = "connect_notice"


def _notify(kind: str, message: str) -> None:
    st.session_state[_NOTICE] = (kind, message)


def _show_notice(key: str) -> None:
    """Show (once) the outcome a callback left in the session state."""
    notice = st.session_state.pop(key, None)
    if notice:
        (st.success if notice[0] == "success" else st.error)(notice[1])


def _update(tenant_id: str, label: str, **changes: Any) -> None:
    """Callback: change one tenant's sync settings, then show the outcome on the rerun."""
    try:
        integration = update_integration(ui.context().store, tenant_id, **changes)
    except (StoreError, ValueError) as exc:
        _notify("error", str(exc))
        return
    finally:
        ui.clear_caches()
    _notify("success", f"{integration.organization or tenant_id}: {label}")


def _save(tenant_id: str) -> None:
    licenses = bool(st.session_state.get(f"licenses_{tenant_id}", True))
    _update(tenant_id, "saved (Licenses " + ("on)" if licenses else "off)"), sync_licenses=licenses)


def _set_paused(tenant_id: str, paused: bool) -> None:
    _update(tenant_id, "paused" if paused else "resumed", paused=paused)


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


def _connect_form() -> None:
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
        st.form_submit_button("Connect tenant", type="primary", on_click=_connect)
    _show_notice(_CONNECT_NOTICE)


def _tenant_settings() -> None:
    st.subheader("Sync settings per tenant")
    _show_notice(_NOTICE)
    table = ui.integrations()
    if table.empty:
        st.info("No tenant is connected yet.")
        return
    for row in table.itertuples(index=False):
        tenant_id = str(row.tenant_id)
        with st.container(border=True):
            info, settings, actions = st.columns([5, 2, 1], vertical_alignment="center")
            name = (f" · {row.tenant_name}" if isinstance(row.tenant_name, str)
                    and row.tenant_name != row.organization else "")
            domain = f" · {row.domain}" if isinstance(row.domain, str) else ""
            info.markdown(f"**{row.organization or 'Unmatched'}**{name}{domain}  \n"
                          f"`{tenant_id}` — Status: **{row.status}**")
            with settings, st.form(f"tenant_settings_{tenant_id}", border=False):
                box, save = st.columns(2, vertical_alignment="center")
                box.checkbox("Licenses", value=bool(row.licenses), key=f"licenses_{tenant_id}",
                             help="Sync this tenant's licenses (off: only its users are refreshed).")
                save.form_submit_button("Save", on_click=_save, args=(tenant_id,), key=f"save_{tenant_id}")
            if row.paused:
                actions.button("Resume", key=f"resume_{tenant_id}", on_click=_set_paused,
                               args=(tenant_id, False), icon=":material/play_arrow:")
            else:
                actions.button("Pause", key=f"pause_{tenant_id}", on_click=_set_paused,
                               args=(tenant_id, True), icon=":material/pause:")
    # Disconnect (keep / delete data) and re-matching screens come in a later issue: they belong
    # in each tenant's box above, beside Pause / Resume.


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
            f"- Tenants synced at once: {settings.concurrency}\n\n"
            "Secrets are read from the environment or `.streamlit/secrets.toml` and never shown."
        )


def render() -> None:
    """Draw the Settings page."""
    st.title("Settings")
    _connect_form()
    _tenant_settings()
    _current_settings()


ui.run_page(render)
