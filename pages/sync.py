"""Sync: the "Active Integrations" table, the Start Manual Sync button with progress, the sync log."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import get_args

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from o365lic import sync, ui
from o365lic.store import RunOutcome, StoreError, Viewer
from o365lic.sync import SyncInProgressError, TenantSyncResult

_SYNC_REQUESTED = "sync_requested"
#: The Active Integrations download: header -> column.
INTEGRATION_COLUMNS = {"Organization": "organization", "Tenant": "tenant_name", "Domain": "domain",
                       "Tenant ID": "tenant_id", "Status": "status", "Last sync": "last_sync",
                       "Last success": "last_success", "Last error": "last_error"}


def _request_sync() -> None:
    st.session_state[_SYNC_REQUESTED] = True


def _status_summary(statuses: list[str]) -> str:
    order = ["OK", "Syncing...", "Error", "Paused", "Never synced"]
    parts = [f"{statuses.count(s)} {s}" for s in order if statuses.count(s)]
    return " · ".join(parts) if parts else "No tenants connected"


def _manual_sync(slot: DeltaGenerator) -> None:
    """Run a manual sync in this script run, with a status box, a bar and one line per tenant."""
    ctx = ui.context()
    status = slot.status("Syncing ...", expanded=True)
    try:
        with status:
            bar = st.progress(0.0, text="Starting ...")

            def on_result(result: TenantSyncResult, done: int, total: int) -> None:
                bar.progress(done / max(total, 1), text=f"{done} of {total} tenants")
                st.text(result.line())

            results = sync.sync_tenants(ctx.store, ctx.settings, trigger="manual", on_result=on_result)
    except SyncInProgressError as exc:
        slot.warning(f"No sync was started: {exc}.", icon=":material/hourglass_top:")
        return
    except StoreError as exc:  # e.g. a CLI sync holding the database file
        slot.error(str(exc))
        return
    finally:
        ui.clear_caches()
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

    table = ui.integrations(viewer, match_state="matched")  # unmatched and ignored tenants do not sync
    with table_slot:
        st.caption(_status_summary(table["status"].tolist()))
        st.dataframe(
            table, hide_index=True, width="stretch",
            column_order=["organization", "status", "last_sync", "last_error", "warning", "domain",
                          "tenant_id", "tenant_name"],
            column_config={
                "organization": st.column_config.TextColumn("Organization"),
                "tenant_name": st.column_config.TextColumn("Tenant"),
                "domain": st.column_config.TextColumn("Domain"),
                "tenant_id": st.column_config.TextColumn("Tenant ID"),
                "status": st.column_config.TextColumn("Status"),
                "last_sync": st.column_config.DatetimeColumn("Last sync", format="YYYY-MM-DD HH:mm:ss"),
                "last_error": st.column_config.TextColumn("Last error", width="medium"),
                "warning": st.column_config.TextColumn("Warning", width="medium"),
            },
        )
        if not table.empty:
            ui.download_table("Download Active Integrations", table, INTEGRATION_COLUMNS,
                              "o365lic-active-integrations.csv", key="download_integrations")

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
        log, hide_index=True, width="stretch",
        column_order=["run", "organization", "tenant_id", "started_at", "finished_at", "seconds", "outcome",
                      "licenses", "users", "requests", "retries", "trigger", "error", "warning",
                      "client_request_id"],
        column_config={
            "run": st.column_config.NumberColumn("Run", format="%d"),
            "organization": st.column_config.TextColumn("Organization"),
            "tenant_id": st.column_config.TextColumn("Tenant ID"),
            "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss"),
            "finished_at": st.column_config.DatetimeColumn("Finished", format="YYYY-MM-DD HH:mm:ss"),
            "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
            "outcome": st.column_config.TextColumn("Outcome"),
            "licenses": st.column_config.NumberColumn("Licenses", format="localized"),
            "users": st.column_config.NumberColumn("Users", format="localized"),
            "requests": st.column_config.NumberColumn("Requests", format="localized"),
            "retries": st.column_config.NumberColumn("Retries", format="localized"),
            "trigger": st.column_config.TextColumn("Trigger"),
            "error": st.column_config.TextColumn("Error", width="large"),
            "warning": st.column_config.TextColumn("Warning", width="large"),
            "client_request_id": st.column_config.TextColumn("Client request ID"),
        },
    )
    st.download_button(
        "Download sync log", data=ui.sync_log_csv(log), file_name=ui.SYNC_LOG_FILE_NAME,
        mime=ui.CSV_MIME, on_click="ignore", icon=":material/download:", key="download_sync_log",
    )

ui.run_page(render)
