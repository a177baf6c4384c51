"""Settings, "Free SKUs" tab: the editable list of free, viral and trial SKU part numbers."""

from __future__ import annotations

import re

import streamlit as st

from o365lic.licenses import DEFAULT_FREE_SKUS
from o365lic.store import Viewer, free_sku_list
from o365lic.ui import changes
from o365lic.ui.actions import act, notify, show_notice
from o365lic.ui.context import context
from o365lic.ui.display import md, plural
from o365lic.ui.settings_common import managed_section
from o365lic.wording import free_sku_warnings, parse_free_skus

__all__ = ["TEXT_KEY", "render"]

TEXT_KEY = "free_skus_text"
_NOTICE = "free_skus_notice"
_CONFIRM = "free_skus_confirm"


def md_lines(lines: list[str]) -> str:
    """Warnings as one message (each escaped for Markdown, each ending with a full stop)."""
    return " ".join(md(line) + "." for line in lines)


def _known_and_paid() -> tuple[set[str], set[str]]:
    """The SKU part numbers the tenants, the price list and the default list know; those with a price."""
    store = context().store
    known = {str(r[0]) for r in store.rows(
        "SELECT DISTINCT sku_part_number FROM flexible_assets WHERE sku_part_number IS NOT NULL "
        "UNION SELECT DISTINCT sku FROM price_list")} | set(DEFAULT_FREE_SKUS)
    paid = {str(r[0]) for r in store.rows("SELECT DISTINCT sku FROM price_list WHERE monthly_price > 0")}
    return known, paid - set(DEFAULT_FREE_SKUS)


def _save(reset: bool) -> None:
    """Callback of Save / Reset: the list is replaced and every license re-flagged at once. A new
    entry that looks wrong (unknown, or a paid license) is named first; Save again saves it."""
    state = st.session_state
    if not reset:
        parts = parse_free_skus(str(state.get(TEXT_KEY) or ""))
        saved = {p.upper() for p in free_sku_list(context().store)}
        well_formed = all(re.fullmatch(r"[A-Za-z0-9_\-]{2,100}", p) for p in parts)  # else the store says why
        warnings = well_formed and free_sku_warnings([p for p in parts if p.upper() not in saved],
                                                     *_known_and_paid())
        if warnings and state.get(_CONFIRM) != parts:
            state[_CONFIRM] = parts
            notify(_NOTICE, "warning", md_lines(warnings) + " Correct the list, or click Save again to save "
                                                            "it as it is.")
            return
    state.pop(_CONFIRM, None)

    def save(who: Viewer) -> str:
        store = context().store
        parts = None if reset else parse_free_skus(str(state.get(TEXT_KEY) or ""))
        changed = changes.save_free_sku_list(store, who, parts)
        state[TEXT_KEY] = "\n".join(free_sku_list(store))
        what = "Back to the default list" if reset else "Free SKUs saved"
        return f"{what}: {plural(changed, 'license')} re-flagged."

    act(_NOTICE, "manage_integrations", save, failure="{Exc}")


def render(viewer: Viewer) -> None:
    """The Free SKUs tab."""
    may_manage = managed_section(
        "Free SKUs", viewer, None,
        "Free, viral and trial SKUs are left out of totals and charts unless \"Include free SKUs\" is "
        "on. One SKU part number per line (e.g. FLOW_FREE). A SKU with 10,000 or more units, or "
        "whose subscriptions are all trials, counts as free whatever the list says.")
    if TEXT_KEY not in st.session_state:
        st.session_state[TEXT_KEY] = "\n".join(free_sku_list(context().store))
    st.text_area("Free SKU part numbers", key=TEXT_KEY, height=220, disabled=not may_manage)
    save, reset = st.columns(2)
    save.button("Save free SKUs", on_click=_save, args=(False,), disabled=not may_manage)
    reset.button("Reset to the default list", on_click=_save, args=(True,), disabled=not may_manage)
    show_notice(_NOTICE)  # next to the buttons
