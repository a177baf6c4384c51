"""Settings, "Sync settings" tab: every matched tenant in ONE table (``st.data_editor``).

The ``Licenses`` and ``Paused`` boxes and the interval are edited in place and one ``Save``
stores the edited rows; ``Select`` picks rows for the bulk actions (pause, resume). A search
box and a status filter narrow the table (in the database). The page's size does not grow with
the tenants: one grid of at most :data:`PAGE_ROWS` rows, whatever their number.
"""

from __future__ import annotations

from typing import Any, get_args

import pandas as pd
import streamlit as st

from o365lic.store import IntegrationStatus, Viewer
from o365lic.store.integrations import DEFAULT_INTERVAL_MINUTES
from o365lic.ui import changes
from o365lic.ui.actions import act, notify
from o365lic.ui.context import context
from o365lic.ui.display import md, plural
from o365lic.ui.reads import tenant_counts, tenant_rows
from o365lic.ui.settings_common import managed_section, names_of
from o365lic.wording import MAX_INTERVAL_MINUTES, interval_problem

__all__ = ["DEFAULT_INTERVAL_MINUTES", "PAGE_ROWS", "TABLE_KEY", "page_number", "page_of", "render", "table_key"]

TABLE_KEY = "tenant_settings"
_NOTICE = "settings_notice"
_VERSION = "tenant_settings_version"
_ALL = "All statuses"
#: Tenants shown (and edited) at once; the rest are a page number away.
PAGE_ROWS = 100
#: The columns a person edits, and the setting each one is.
_EDITABLE = ("select", "licenses", "paused", "interval_minutes")


def table_key() -> str:
    """The data editor's key now (it changes after each save, which clears the edits)."""
    return f"{TABLE_KEY}_{st.session_state.get(_VERSION, 0)}"


def _rows(shown: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"tenant_id": str(r.tenant_id), "name": str(r.organization or r.tenant_name or r.tenant_id),
             "licenses": bool(r.licenses), "paused": bool(r.paused),
             "interval_minutes": int(r.interval_minutes or DEFAULT_INTERVAL_MINUTES)}
            for r in shown.itertuples(index=False)]


def _edits(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The rows as edited: each shown row with the editor's changes applied."""
    edited = (st.session_state.get(key) or {}).get("edited_rows", {})
    out = []
    for position, row in enumerate(rows):
        change = edited.get(position, edited.get(str(position), {}))
        out.append({**row, "select": False, **{k: v for k, v in change.items() if k in _EDITABLE}})
    return out


def _describe(row: dict[str, Any]) -> str:
    return (f"{md(row['name'])} (Licenses {'on' if row['licenses'] else 'off'}, every "
            f"{plural(row['interval_minutes'], 'minute')}{', paused' if row['paused'] else ''})")


def _bump() -> None:
    st.session_state[_VERSION] = st.session_state.get(_VERSION, 0) + 1


def _save(rows: list[dict[str, Any]], key: str) -> None:
    """Callback of Save: store every edited row (nothing at all when one row cannot be saved)."""
    edited = [(before, after) for before, after in zip(rows, _edits(rows, key))
              if any(after[k] != before[k] for k in ("licenses", "paused", "interval_minutes"))]
    if not edited:
        notify(_NOTICE, "warning", "Nothing to save: change a Licenses box, a Paused box or an interval first.")
        return
    for _, after in edited:
        problem = interval_problem(after["interval_minutes"])
        if problem:
            notify(_NOTICE, "error", f"{md(after['name'])}: {problem}. Nothing was saved.")
            return

    def save(who: Viewer) -> str:
        store = context().store
        for before, after in edited:
            changed = {k: after[k] for k in ("licenses", "paused", "interval_minutes") if after[k] != before[k]}
            changes.save_sync_settings(store, who, after["tenant_id"], sync_licenses=changed.get("licenses"),
                                       paused=changed.get("paused"),
                                       interval_minutes=changed.get("interval_minutes"))
        _bump()
        return "Saved " + "; ".join(_describe(after) for _, after in edited) + "."

    act(_NOTICE, "manage_integrations", save)


def _set_paused(rows: list[dict[str, Any]], key: str, paused: bool) -> None:
    """Callback of Pause / Resume selected: the bulk action on the selected rows."""
    chosen = [row for row in _edits(rows, key) if row["select"]]
    if not chosen:
        notify(_NOTICE, "warning", "Select tenants first (the Select column).")
        return

    def run(who: Viewer) -> str:
        store = context().store
        for row in chosen:
            changes.save_sync_settings(store, who, row["tenant_id"], paused=paused)
        _bump()
        names = md(names_of([row["name"] for row in chosen]))
        return f"{plural(len(chosen), 'tenant')} {'paused' if paused else 'resumed'}: {names}."

    act(_NOTICE, "manage_integrations", run)


def _filters() -> tuple[str, str | None]:
    """The search text and the status chosen above the table."""
    search_col, status_col = st.columns([3, 1], vertical_alignment="bottom")
    text = search_col.text_input("Search tenants", key="tenant_search",
                                 placeholder="Organization, tenant, domain or tenant ID")
    statuses = [_ALL, *get_args(IntegrationStatus)]
    status = status_col.selectbox("Status", statuses, key="tenant_status_filter")
    return text.strip(), (None if not status or status == _ALL else status)


def page_number(total: int, key: str, help: str | None = None) -> int:
    """The page of :data:`PAGE_ROWS` rows chosen, from 1 (a page number box only when there is more
    than one page; a page past the end after a narrower search becomes the last one)."""
    pages = max(1, -(-total // PAGE_ROWS))
    if pages == 1:
        return 1
    if int(st.session_state.get(key) or 1) > pages:
        st.session_state[key] = pages
    return int(st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=key, help=help))


def page_of(frame: pd.DataFrame, key: str, noun: str, note: str = "") -> pd.DataFrame:
    """The page of ``frame`` chosen with :func:`page_number` (at most :data:`PAGE_ROWS` rows: what
    is sent to the browser stays bounded whatever the number of rows), and, when there is more
    than one page, a caption that says which rows are shown ("{noun} 1–100 of 3,000{note}")."""
    page = page_number(len(frame), key)
    first = (page - 1) * PAGE_ROWS
    shown = frame.iloc[first:first + PAGE_ROWS]
    if len(frame) > PAGE_ROWS:
        st.caption(f"{noun} {first + 1:,}–{first + len(shown):,} of {len(frame):,}{note}")
    return shown


def render(viewer: Viewer) -> None:
    """The Sync settings tab."""
    may_manage = managed_section(
        "Sync settings per tenant", viewer, _NOTICE,
        "Tick **Licenses**, **Paused** or change the interval in the table, then **Save**. Tick **Select** "
        "to pause or resume many tenants at once. A scheduled sync syncs a tenant when its last sync is "
        "older than its interval.")
    counts = tenant_counts(viewer, "matched")
    if not counts:
        st.info("No tenant is connected and matched yet.")
        return
    search, status = _filters()
    found = tenant_counts(viewer, "matched", search=search) if search else counts
    total = found.get(status, 0) if status else sum(found.values())
    st.caption(f"{plural(total, 'tenant')} of {sum(counts.values()):,}")
    if not total:
        st.caption("No tenant matches this search.")
        return
    page = page_number(total, "tenant_settings_page",
                       help="Save before turning the page: edits are kept for the page in view only.")
    shown = tenant_rows(viewer, "matched", search=search, status=status, limit=PAGE_ROWS,
                        offset=(page - 1) * PAGE_ROWS)
    if total > PAGE_ROWS:
        first = (page - 1) * PAGE_ROWS + 1
        st.caption(f"Tenants {first:,}–{first + len(shown) - 1:,} shown")
    rows = _rows(shown)
    frame = pd.DataFrame({
        "select": False, "organization": shown["organization"], "tenant_name": shown["tenant_name"],
        "domain": shown["domain"], "status": shown["status"], "licenses": [r["licenses"] for r in rows],
        "paused": [r["paused"] for r in rows], "interval_minutes": [r["interval_minutes"] for r in rows],
        "tenant_id": shown["tenant_id"],
    })
    # a new search, filter or page is a new table: its edits start afresh
    key = f"{table_key()}_{abs(hash((search, status, page)))}"
    st.data_editor(
        frame, key=key, hide_index=True, width="stretch", num_rows="fixed",
        column_order=["select", "organization", "licenses", "paused", "interval_minutes", "status", "tenant_name",
                      "domain", "tenant_id"],
        disabled=not may_manage or ["organization", "tenant_name", "domain", "status", "tenant_id"],
        column_config={
            "select": st.column_config.CheckboxColumn("Select", help="Pick rows for Pause / Resume selected",
                                                      width=70),
            "organization": st.column_config.TextColumn("Organization", width=160),
            "tenant_name": st.column_config.TextColumn("Tenant"),
            "domain": st.column_config.TextColumn("Domain"),
            "status": st.column_config.TextColumn("Status"),
            "licenses": st.column_config.CheckboxColumn(
                "Licenses", help="On: licenses and their users are synced. Off: only the people are kept up to date, "
                                 "not the licenses.", width=90),
            "paused": st.column_config.CheckboxColumn("Paused", help="A paused tenant is not synced.", width=80),
            "interval_minutes": st.column_config.NumberColumn(
                "Every (minutes)", min_value=1, max_value=MAX_INTERVAL_MINUTES, step=1, format="%d", width=130,
                help="Sync interval: how often a scheduled sync syncs this tenant: 1 minute to one year (technically: "
                     "`python -m o365lic sync --due`, run from cron)."),
            "tenant_id": st.column_config.TextColumn("Tenant ID"),
        },
    )
    row = st.container(horizontal=True)  # buttons as wide as their words: never cut off
    row.button("Save", key="save_tenant_settings", type="primary", on_click=_save, args=(rows, key),
               disabled=not may_manage)
    row.button("Pause selected", key="pause_selected", on_click=_set_paused, args=(rows, key, True),
               icon=":material/pause:", disabled=not may_manage)
    row.button("Resume selected", key="resume_selected", on_click=_set_paused, args=(rows, key, False),
               icon=":material/play_arrow:", disabled=not may_manage)
