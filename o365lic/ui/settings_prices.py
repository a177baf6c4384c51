"""Settings, "Prices" section: the monthly price per seat of each SKU, edited in one table.

The table (``st.data_editor``) is saved whole: all or nothing, so one bad row refuses the save
and its message (row number and what to fix) shows under the table. A CSV of the same columns
can be imported (bad lines reported by number, the good ones kept) and the list downloaded.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from o365lic.filenames import download_name
from o365lic.store import Viewer
from o365lic.store.prices import import_prices, price_list, price_list_csv, save_price_list
from o365lic.ui.actions import act, notify, show_notice
from o365lic.ui.context import context
from o365lic.ui.display import CSV_MIME, md, plural
from o365lic.ui.settings_common import managed_section

__all__ = ["COLUMNS", "IMPORT_KEY", "TABLE_KEY", "edited_prices", "render", "table_key", "uploaded_file"]

TABLE_KEY = "price_list"
IMPORT_KEY = "price_import"
COLUMNS = ["sku", "currency", "monthly_price", "organization"]
_NOTICE = "prices_notice"
_IMPORT_NOTICE = "prices_import_notice"
_VERSION = "price_list_version"


def table_key() -> str:
    """The data editor's key now (a new one after each save or import, which clears the edits)."""
    return f"{TABLE_KEY}_{st.session_state.get(_VERSION, 0)}"


def _bump() -> None:
    st.session_state[_VERSION] = st.session_state.get(_VERSION, 0) + 1


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def edited_prices(base: pd.DataFrame, edits: dict[str, Any] | None) -> pd.DataFrame:
    """``base`` with a data editor's changes (edited, added and deleted rows) applied."""
    rows = [dict(r) for r in base[COLUMNS].to_dict("records")]
    edits = edits or {}
    for position, change in (edits.get("edited_rows") or {}).items():
        index = int(position)
        if 0 <= index < len(rows):
            rows[index].update({k: v for k, v in change.items() if k in COLUMNS})
    deleted = {int(i) for i in edits.get("deleted_rows") or []}
    kept = [row for i, row in enumerate(rows) if i not in deleted]
    for added in edits.get("added_rows") or []:
        kept.append({c: added.get(c) for c in COLUMNS})
    frame = pd.DataFrame(kept, columns=COLUMNS)
    frame["organization"] = [None if _blank(v) else str(v) for v in frame["organization"]]
    return frame


def _save(key: str) -> None:
    """Callback of Save prices: the whole list is replaced, or nothing is when a row is bad."""
    edits = st.session_state.get(key) or {}
    if not any(edits.get(k) for k in ("edited_rows", "added_rows", "deleted_rows")):
        notify(_NOTICE, "warning", "Nothing to save: change, add or delete a row of the table first.")
        return

    def save(who: Viewer) -> str:
        store = context().store
        rows = edited_prices(price_list(store), edits)
        count = save_price_list(store, rows, actor=who.email)
        _bump()
        return f"Prices saved: {plural(count, 'price')} in the list."

    act(_NOTICE, "manage_integrations", save,
        failure="The prices were not saved: {exc}. Correct the row and save again; nothing was changed.")


def uploaded_file() -> bytes | None:
    """The bytes of the CSV chosen in the uploader, or None."""
    upload = st.session_state.get(IMPORT_KEY)
    return None if upload is None else bytes(upload.getvalue())


def _import() -> None:
    """Callback of Import: the good lines of the chosen CSV are saved, the bad ones listed."""
    raw = uploaded_file()
    if raw is None:
        notify(_IMPORT_NOTICE, "warning", "Choose a CSV file first (header sku,currency,monthly_price).")
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        notify(_IMPORT_NOTICE, "error", "This file is not UTF-8 text: save it as \"CSV UTF-8\" and import "
                                        "it again. Nothing was changed.")
        return
    outcome: list[str] = []

    def run(who: Viewer) -> str:
        report = import_prices(context().store, text, actor=who.email)
        _bump()
        outcome.extend(f"line {line}: {md(problem)}" for line, problem in report.errors)
        return f"Imported {plural(report.saved, 'price')}."

    if act(_IMPORT_NOTICE, "manage_integrations", run,
           failure="The file was not imported: {exc}. Nothing was changed.") and outcome:
        _, message = st.session_state[_IMPORT_NOTICE]
        notify(_IMPORT_NOTICE, "warning",
               f"{message} {plural(len(outcome), 'line')} refused (correct them and import the file again): "
               + "; ".join(outcome) + ".")


def render(viewer: Viewer) -> None:
    """The Prices section."""
    may_manage = managed_section(
        "Prices", viewer, None,
        "The monthly price per seat of each license. Leave Organization empty for the default price; "
        "an organization's own price wins over it. Costs are never added across currencies.")
    store = context().store
    prices = price_list(store)
    key = table_key()
    shown = prices[COLUMNS].assign(organization=prices["organization"].fillna(""))  # blank, never "None"
    st.data_editor(
        shown, key=key, hide_index=True, width="stretch",
        num_rows="dynamic" if may_manage else "fixed", disabled=not may_manage,
        column_config={
            "sku": st.column_config.TextColumn(
                "SKU", width=180, required=True,
                help="The license's part number (for example SPE_E3) or its product id."),
            "currency": st.column_config.TextColumn(
                "Currency", width=80, required=True, max_chars=3, help="Three letters: USD, EUR, GBP ..."),
            "monthly_price": st.column_config.NumberColumn(
                "Monthly price", width=110, min_value=0.0, format="%.2f", required=True,
                help="Price per seat per month"),
            "organization": st.column_config.TextColumn(
                "Organization", width=160, help="Empty: the default price for every organization"),
        },
    )
    row = st.container(horizontal=True)  # buttons as wide as their words: never cut off
    row.button("Save prices", key="save_prices", type="primary", on_click=_save, args=(key,),
               disabled=not may_manage)
    row.download_button(
        "Download prices (CSV)", data=price_list_csv(prices).encode("utf-8"), mime=CSV_MIME,
        file_name=download_name("Price list", None, "csv"), on_click="ignore",
        icon=":material/download:", key="download_prices")
    show_notice(_NOTICE)  # next to the Save button
    st.markdown("**Import prices from a CSV file**")
    st.caption("First line: `sku,currency,monthly_price` and, if you like, `organization`. A line replaces "
               "the price of the same SKU and organization; other prices stay.")
    st.file_uploader("Price list CSV", type=["csv"], key=IMPORT_KEY, disabled=not may_manage)
    st.button("Import prices", key="import_prices", on_click=_import, disabled=not may_manage)
    show_notice(_IMPORT_NOTICE)
