"""o365lic: the Streamlit app's entry point (routes only; the pages live in pages/)."""

from __future__ import annotations

import streamlit as st

from o365lic import ui

st.set_page_config(page_title="o365lic", layout="wide")

# Demo mode and who is viewing, in the sidebar; with [auth] sign-in configured, a signed-out
# visitor sees only the sign-in button (the run stops here, before any page).
ui.sidebar()

st.navigation([
    st.Page("pages/global.py", title="Global", default=True),
    st.Page("pages/organization.py", title="Organization"),
    st.Page("pages/sync.py", title="Sync"),
    st.Page("pages/settings.py", title="Settings"),
]).run()
