"""Settings: connect, discover and match tenants; sync settings; free SKUs; prices; alert thresholds;
disconnect; users & groups; the audit log. Only the section in view is built (one module per section in o365lic.ui)."""

from __future__ import annotations

import streamlit as st

from o365lic import ui
from o365lic.store import Viewer
from o365lic.ui import (
    settings_alerts,
    settings_audit,
    settings_disconnect,
    settings_free_skus,
    settings_prices,
    settings_sync,
    settings_tenants,
    settings_users,
)

SECTIONS = {
    "Tenants": settings_tenants.render,
    "Sync settings": settings_sync.render,
    "Free SKUs": settings_free_skus.render,
    "Prices": settings_prices.render,
    "Alerts": settings_alerts.render,
    "Disconnect": settings_disconnect.render,
    "Users & groups": settings_users.render,
    "Audit log": settings_audit.render,
}


def _sections(viewer: Viewer) -> list[str]:
    """The sections this viewer gets (the audit log is for Administrators only)."""
    return [s for s in SECTIONS if s != "Audit log" or ui.allowed(viewer, "manage_users")]


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
    """Draw the Settings page: the chosen section only."""
    viewer = ui.viewer()  # signed-out: the sign-in screen, and the run stops
    st.title("Settings")
    sections = _sections(viewer)
    chosen = st.segmented_control("Section", sections, default=sections[0], key="settings_section",
                                  required=True, label_visibility="collapsed")
    SECTIONS[chosen if chosen in sections else sections[0]](viewer)
    _current_settings()


ui.run_page(render)
