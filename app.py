"""o365lic: the Streamlit app's entry point (routes only; the pages live in pages/)."""

from __future__ import annotations

import streamlit as st

from o365lic import ui

st.set_page_config(page_title="o365lic", layout="wide")

if ui.is_demo_mode():
    st.sidebar.info(
        "Demo mode: no O365LIC_CLIENT_ID is configured, so the app syncs fictitious customer "
        "tenants from the built-in Microsoft 365 simulator."
    )

# Who is viewing, in the sidebar; with [auth] sign-in configured, a signed-out visitor sees
# only the sign-in button (the run stops here, before any page).
ui.show_viewer()

st.navigation([
    st.Page("pages/global.py", title="Global", default=True),
    st.Page("pages/organization.py", title="Organization"),
    st.Page("pages/sync.py", title="Sync"),
    st.Page("pages/settings.py", title="Settings"),
]).run()
