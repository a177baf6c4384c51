"""Settings, "Audit log" tab (Administrators only): who changed what, and when."""

from __future__ import annotations

import streamlit as st

from o365lic.store import Viewer
from o365lic.ui.display import download_table, plural
from o365lic.ui.reads import audit_log
from o365lic.ui.signin import allowed

__all__ = ["COLUMNS", "render"]

#: The audit log's columns, as :func:`o365lic.store.audit.audit_log` names them.
COLUMNS = {name: name for name in ("When", "Who", "Action", "Target", "Detail")}


def render(viewer: Viewer) -> None:
    """The Audit log tab (nothing for anyone but an Administrator)."""
    st.subheader("Audit log")
    if not allowed(viewer, "manage_users"):
        st.caption("Only Administrators see the audit log.")
        return
    log = audit_log()
    if log.empty:
        st.caption("Nothing has been changed yet.")
        return
    st.caption(f"{plural(len(log), 'change')}, newest first (kept when the data it describes is deleted)")
    st.dataframe(log, hide_index=True, width="stretch", key="audit_log_table",
                 column_config={"When": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss")})
    download_table("Download audit log", log, COLUMNS, "o365lic-audit-log.csv", key="download_audit_log")
