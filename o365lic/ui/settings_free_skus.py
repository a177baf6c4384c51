"""Settings, "Free SKUs" tab: the editable list of free, viral and trial SKU part numbers."""

from __future__ import annotations

import streamlit as st

from o365lic.store import Viewer, free_sku_list
from o365lic.ui import changes
from o365lic.ui.actions import act
from o365lic.ui.context import context
from o365lic.ui.display import plural
from o365lic.ui.settings_common import managed_section
from o365lic.wording import parse_free_skus

__all__ = ["TEXT_KEY", "render"]

TEXT_KEY = "free_skus_text"
_NOTICE = "free_skus_notice"


def _save(reset: bool) -> None:
    """Callback of Save / Reset: the list is replaced and every license re-flagged at once."""
    state = st.session_state

    def save(who: Viewer) -> str:
        store = context().store
        parts = None if reset else parse_free_skus(str(state.get(TEXT_KEY) or ""))
        changed = changes.save_free_sku_list(store, who, parts)
        state[TEXT_KEY] = "\n".join(free_sku_list(store))
        what = "Back to the default list" if reset else "Free SKUs saved"
        return f"{what}: {plural(changed, 'license')} re-flagged."

    act(_NOTICE, "manage_integrations", save, failure="{exc}")


def render(viewer: Viewer) -> None:
    """The Free SKUs tab."""
    may_manage = managed_section(
        "Free SKUs", viewer, _NOTICE,
        "Free, viral and trial SKUs are left out of totals and charts unless \"Include free SKUs\" is "
        "on. One SKU part number per line (e.g. FLOW_FREE). A SKU with 10,000 or more units, or "
        "whose subscriptions are all trials, counts as free whatever the list says.")
    if TEXT_KEY not in st.session_state:
        st.session_state[TEXT_KEY] = "\n".join(free_sku_list(context().store))
    st.text_area("Free SKU part numbers", key=TEXT_KEY, height=220, disabled=not may_manage)
    save, reset = st.columns(2)
    save.button("Save free SKUs", on_click=_save, args=(False,), disabled=not may_manage)
    reset.button("Reset to the default list", on_click=_save, args=(True,), disabled=not may_manage)
