"""What the Settings tabs share: a managed section's heading, permission caption and notice."""

from __future__ import annotations

import streamlit as st

from o365lic.store import Viewer
from o365lic.ui.actions import show_notice
from o365lic.ui.signin import allowed, not_allowed

__all__ = ["managed_section", "names_of"]


def managed_section(title: str, viewer: Viewer, notice: str | None, about: str | None = None) -> bool:
    """A section's heading, what it is about, why its controls are disabled (if they are) and
    the outcome of its last action; True when ``viewer`` may manage integrations."""
    st.subheader(title)
    if about:
        st.caption(about)
    may_manage = allowed(viewer, "manage_integrations")
    if not may_manage:
        st.caption(not_allowed(viewer, "manage_integrations"))
    if notice:  # None: the section shows its notice next to its own control
        show_notice(notice)
    return may_manage


def names_of(names: list[str], limit: int = 5) -> str:
    """``A, B, C and 4 more`` (the names as they are: escape them for Markdown where shown)."""
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
