"""Sync: the "Active Integrations" table, the Start Manual Sync button with progress, the sync log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import get_args

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from o365lic import export, sync, ui
from o365lic.filenames import download_name
from o365lic.store import RunOutcome, StoreError, Viewer
from o365lic.store.overview import ATTENTION_ORDER
from o365lic.sync import SyncInProgressError, TenantSyncResult
from o365lic.ui.reads import tenant_counts, tenant_rows, tenants_for_download
from o365lic.ui.settings_sync import PAGE_ROWS, page_number
from o365lic.wording import sync_result_words
from o365lic.workbook import workbook_bytes

_SYNC_REQUESTED = "sync_requested"
_ALL = "All statuses"
#: The Active Integrations download: header -> column.
INTEGRATION_COLUMNS = {"Organization": "organization", "Tenant": "tenant_name", "Domain": "domain",
                       "Tenant ID": "tenant_id", "Status": "status", "Last sync": "last_sync",
                       "Last success": "last_success", "Last error": "last_error", "Warning": "warning"}
#: The sync log's Excel sheet: header -> column (the CSV's header, then the warning).
SYNC_LOG_COLUMNS = {**dict(zip(export.SYNC_LOG_HEADER, [
    "run", "organization", "tenant_id", "started_at", "finished_at", "seconds", "outcome", "licenses", "users",
    "requests", "retries", "error", "trigger"])), "Warning": "warning"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def excel_sheet(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The table with readable headers, for a workbook (numbers and times stay typed)."""
    return pd.DataFrame({header: (frame[column] if column in frame.columns else None)
                         for header, column in columns.items()})


def _downloads(title: str, organization: str | None, csv: bytes | Callable[[], bytes],
               xlsx: bytes | Callable[[], bytes], key: str) -> None:
    """A CSV and an Excel download of one table, side by side (both formula-guarded); a callable
    is the file built when its button is clicked."""
    row = st.container(horizontal=True)  # buttons as wide as their words: never cut off
    row.download_button(f"{title} (CSV)", data=csv, file_name=download_name(title, organization, "csv"),
                         mime=ui.CSV_MIME, on_click="ignore", icon=":material/download:", key=f"{key}_csv",
                         width="content")
    row.download_button(f"{title} (Excel)", data=xlsx,
                          file_name=download_name(title, organization, "xlsx"), mime=XLSX_MIME,
                          on_click="ignore", icon=":material/table_view:", key=f"{key}_xlsx", width="content")


def _request_sync() -> None:
    st.session_state[_SYNC_REQUESTED] = True


def _status_summary(counts: dict[str, int]) -> str:
    order = ["OK", "Syncing...", "Error", "Paused", "Never synced"]
    parts = [f"{counts[s]:,} {s}" for s in order if counts.get(s)]
    return " · ".join(parts) if parts else "No tenants connected"


def _integrations(viewer: Viewer) -> None:
    """The Active Integrations: counts by status, a search and a status filter, and one bounded page
    of the tenants, problems first; the downloads (every tenant of the filter) are built on click."""
    counts = tenant_counts(viewer, "matched")  # unmatched and ignored tenants do not sync
    st.caption(_status_summary(counts))
    if not counts:
        return
    search_col, status_col = st.columns([3, 1], vertical_alignment="bottom")
    search = search_col.text_input("Search tenants", key="integrations_search",
                                   placeholder="Organization, tenant, domain or tenant ID")
    status = status_col.selectbox("Status", [_ALL, *ATTENTION_ORDER], key="integrations_status")
    status = None if status == _ALL else status
    found = tenant_counts(viewer, "matched", search=search) if search.strip() else counts
    total = found.get(status, 0) if status else sum(found.values())
    if not total:
        st.caption("No tenant matches this search.")
        return
    page = page_number(total, "integrations_page")
    table = tenant_rows(viewer, "matched", search=search, status=status, order="attention", limit=PAGE_ROWS,
                           offset=(page - 1) * PAGE_ROWS)
    first = (page - 1) * PAGE_ROWS + 1
    if total > PAGE_ROWS:
        st.caption(f"Tenants {first:,}–{first + len(table) - 1:,} of {total:,}, problems first")
    shown = table.assign(**{c: table[c].astype(object).where(table[c].notna(), "")  # never "None"
                            for c in ("last_error", "warning")})
    st.dataframe(
        shown, hide_index=True, width="stretch",
        column_order=["organization", "status", "last_sync", "last_error", "warning", "domain",
                      "tenant_id", "tenant_name"],
        column_config={
            "organization": st.column_config.TextColumn("Organization", width=180),
            "tenant_name": st.column_config.TextColumn("Tenant", width=180),
            "domain": st.column_config.TextColumn("Domain", width=200),
            "tenant_id": st.column_config.TextColumn("Tenant ID", width=300),
            "status": st.column_config.TextColumn("Status", width=110),
            "last_sync": st.column_config.DatetimeColumn("Last sync", format="YYYY-MM-DD HH:mm", width=140),
            "last_error": st.column_config.TextColumn("Last error", width="medium"),
            "warning": st.column_config.TextColumn("Warning", width="medium"),
        },
    )
    store = ui.context().store

    def every_tenant() -> pd.DataFrame:  # built when a download is clicked, not on every run
        return tenants_for_download(store, viewer, "matched", search=search, status=status)

    _downloads("Active Integrations", None,
               lambda: export.table_csv(every_tenant(), INTEGRATION_COLUMNS).encode("utf-8"),
               lambda: workbook_bytes({"Active Integrations": excel_sheet(every_tenant(), INTEGRATION_COLUMNS)}),
               "download_integrations")


def _manual_sync(slot: DeltaGenerator) -> None:
    """Run a manual sync in this script run, with a status box, a bar and one line per tenant."""
    ctx = ui.context()
    box = slot.container()  # an error below replaces the whole box
    status = box.status("Syncing ...", expanded=True)
    details: list[str] = []
    try:
        with status:
            bar = st.progress(0.0, text="Starting ...")

            def on_result(result: TenantSyncResult, done: int, total: int) -> None:
                bar.progress(done / max(total, 1), text=f"{done} of {total} tenants")
                st.text(sync_result_words(result.organization, result.tenant_id, result.outcome,
                                          licenses=result.licenses, users=result.users, seconds=result.seconds,
                                          error=result.error, warning=result.warning))
                details.append(result.line())

            results = sync.sync_tenants(ctx.store, ctx.settings, trigger="manual", on_result=on_result)
    except SyncInProgressError as exc:
        slot.warning(f"No sync was started: {exc}.", icon=":material/hourglass_top:")
        return
    except StoreError as exc:  # e.g. a CLI sync holding the database file
        slot.error(str(exc))
        return
    finally:
        ui.clear_caches()
        if details:
            with box.expander("Technical details (tenant IDs, requests and retries)"):
                st.text("\n".join(details))
    failed = [r for r in results if r.outcome == "error"]
    if not results:
        status.update(label="Nothing to sync: no connected, unpaused tenants", state="complete")
    elif failed:
        status.update(label=f"Sync finished with errors: {len(failed)} of {len(results)} tenants failed",
                      state="error", expanded=True)
    else:
        synced = sum(1 for r in results if r.outcome == "ok")
        status.update(label=f"Sync finished: {synced} of {len(results)} tenants OK", state="complete",
                      expanded=True)


def render() -> None:
    """Draw the Sync page."""
    viewer = ui.viewer()  # signed-out: the sign-in screen, and the run stops
    ctx = ui.context()
    may_sync = ui.allowed(viewer, "sync")
    st.title("Sync")
    st.subheader("Active Integrations")
    table_slot = st.container()

    running = sync.is_sync_running(ctx.store.path)
    if not running and sync.recover_interrupted_runs(ctx.store):  # a killed sync's runs: Error
        ui.clear_caches()
    # The press is recorded by a callback: it fires for a button that was enabled when it was
    # clicked, even if a sync started elsewhere since (the button is disabled on this run, and
    # the attempt below then says that a sync is already running).
    st.button("Start Manual Sync", type="primary", disabled=running or not may_sync, key="start_manual_sync",
              icon=":material/sync:", on_click=_request_sync)
    if not may_sync:
        st.caption(ui.not_allowed(viewer, "sync"))
    pressed = bool(st.session_state.pop(_SYNC_REQUESTED, False))
    if pressed:  # the role as the database says now, not as it was when the button was drawn
        acting = ui.current_viewer()
        if not ui.allowed(acting, "sync"):
            st.error(f"{ui.not_allowed(acting, 'sync')} No sync was started.")
            pressed = False
    if running and not pressed:
        st.info("A sync is running (from another session or the command line). "
                "Refresh the page when it has finished.")
        st.button("Refresh", key="sync_refresh")
    slot = st.empty()
    if pressed:
        _manual_sync(slot)

    with table_slot:
        _integrations(viewer)

    _sync_log(viewer)


def _since(day: object) -> datetime | None:
    """The start (UTC) of the chosen day, or None."""
    if not day or not hasattr(day, "year"):
        return None
    return datetime.combine(day, time.min, tzinfo=UTC)  # type: ignore[arg-type]


def _sync_log(viewer: Viewer) -> None:
    """The sync log: filter by organization, outcome and date; download what is shown as CSV."""
    st.subheader("Sync log")
    organization_col, outcome_col, since_col = st.columns(3)
    organization = organization_col.selectbox(
        "Organization", ui.organization_names(viewer), index=None, key="sync_log_organization",
        placeholder="All organizations")
    outcome = outcome_col.selectbox("Outcome", list(get_args(RunOutcome)), index=None, key="sync_log_outcome",
                                    placeholder="All outcomes")
    since = since_col.date_input("Since", value=None, key="sync_log_since", format="YYYY-MM-DD",
                                 help="Runs started on or after this day (UTC).")
    log = ui.sync_log(viewer, organization=organization, outcome=outcome, since=_since(since))
    filtered = bool(organization or outcome or since)
    if log.empty:
        st.caption("No sync run matches these filters." if filtered else "No sync has run yet.")
        return
    st.caption(f"{ui.plural(len(log), 'run')}, newest first" + (" (filtered)" if filtered else ""))
    st.dataframe(
        log.assign(**{c: log[c].astype(object).where(log[c].notna(), "")  # an empty error never reads "None"
                      for c in ("error", "warning", "client_request_id") if c in log.columns}),
        hide_index=True, width="stretch",
        column_order=["run", "organization", "tenant_id", "started_at", "finished_at", "seconds", "outcome",
                      "licenses", "users", "requests", "retries", "trigger", "error", "warning",
                      "client_request_id"],
        column_config={
            "run": st.column_config.NumberColumn("Run", format="%d", width=60),
            "organization": st.column_config.TextColumn("Organization", width=180),
            "tenant_id": st.column_config.TextColumn("Tenant ID", width=300),
            "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss", width=160),
            "finished_at": st.column_config.DatetimeColumn("Finished", format="YYYY-MM-DD HH:mm:ss", width=160),
            "seconds": st.column_config.NumberColumn("Seconds", format="%.1f", width=80),
            "outcome": st.column_config.TextColumn("Outcome", width=90),
            "licenses": st.column_config.NumberColumn("Licenses", format="localized", width=80),
            "users": st.column_config.NumberColumn("Users", format="localized", width=70),
            "requests": st.column_config.NumberColumn("Requests", format="localized", width=85,
                                                      help="Calls made to Microsoft Graph"),
            "retries": st.column_config.NumberColumn("Retries", format="localized", width=75,
                                                     help="Calls repeated after Microsoft asked to wait"),
            "trigger": st.column_config.TextColumn("Trigger", width=90),
            "error": st.column_config.TextColumn("Error", width="large"),
            "warning": st.column_config.TextColumn("Warning", width="large"),
            "client_request_id": st.column_config.TextColumn("Client request ID"),
        },
    )
    _downloads("Sync log", organization, lambda: ui.sync_log_csv(log),  # both built when clicked
               lambda: workbook_bytes({"Sync log": excel_sheet(log, SYNC_LOG_COLUMNS)}), "download_sync_log")

ui.run_page(render)
