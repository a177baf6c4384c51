"""The Sync page: Active Integrations, Start Manual Sync with progress, the lock, the sync log."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

from page_helpers import app_db, open_page, record_downloads, runtime  # noqa: F401

from o365lic import reports
from o365lic.sync import is_sync_running, sync_lock

PAGE = "pages/sync.py"


def test_fresh_database_shows_never_synced(app_db: Path) -> None:
    at = open_page(PAGE)
    assert [s.value for s in at.subheader] == ["Active Integrations", "Sync log"]
    table = at.dataframe[0].value
    assert len(table) == 6
    assert set(table["status"]) == {"Never synced"}
    assert at.caption[0].value == "6 Never synced"
    button = at.button(key="start_manual_sync")
    assert button.label == "Start Manual Sync" and not button.disabled
    assert len(at.dataframe) == 1  # no sync log yet
    assert "No sync has run yet." in [c.value for c in at.caption]


def test_manual_sync_turns_tenants_ok_and_logs_runs(app_db: Path) -> None:
    at = open_page(PAGE)
    at.button(key="start_manual_sync").click().run()
    assert not at.exception
    assert [s.label for s in at.status] == ["Sync finished: 6 of 6 tenants OK"]
    assert at.status[0].state == "complete"
    lines = [t.value for t in at.status[0].text]
    assert len(lines) == 6 and all(line.startswith("OK: ") for line in lines)
    assert all(re.search(r" — \d+ licenses?, \d+ users? \(\d+\.\d s\)$", line) for line in lines), lines
    assert not any(re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", line) or "requests" in line for line in lines)  # no GUIDs
    assert [e.label for e in at.expander][-1] == "Technical details (tenant IDs, requests and retries)"
    assert at.status[0].get("progress")
    table = at.dataframe[0].value
    assert list(table["status"]) == ["OK"] * 6
    assert table["last_sync"].notna().all() and (table["last_error"] == "").all()  # empty, never "None"
    assert at.caption[0].value == "6 OK"
    log = at.dataframe[1].value
    assert len(log) == 6
    assert set(log["outcome"]) == {"ok"} and set(log["trigger"]) == {"manual"}
    _, store = runtime(app_db)
    assert len(reports.sync_log(store)) == 6
    assert not is_sync_running(app_db)

    at.run()  # a plain rerun keeps the statuses and does not sync again
    assert not at.status and list(at.dataframe[0].value["status"]) == ["OK"] * 6
    assert len(reports.sync_log(store)) == 6


def test_sync_lock_held_elsewhere_warns_and_records_nothing(app_db: Path) -> None:
    at = open_page(PAGE)
    with sync_lock(app_db):
        at.button(key="start_manual_sync").click().run()
        assert not at.exception
        assert len(at.warning) == 1
        assert "already running" in at.warning[0].value
        assert not at.status
        at.run()  # while another sync runs, the button is disabled and the page says why
        assert at.button(key="start_manual_sync").disabled
        assert any("A sync is running" in info.value for info in at.main.info)
    _, store = runtime(app_db)
    assert reports.sync_log(store).empty
    assert set(reports.integrations_table(store)["status"]) == {"Never synced"}
    at.run()
    assert not at.button(key="start_manual_sync").disabled


def test_paused_tenant_is_not_synced(app_db: Path) -> None:
    from o365lic.store import update_integration

    _, store = runtime(app_db)
    paused = reports.integrations_table(store)["tenant_id"].iloc[0]
    update_integration(store, paused, paused=True)
    at = open_page(PAGE)
    at.button(key="start_manual_sync").click().run()
    assert not at.exception
    assert [s.label for s in at.status] == ["Sync finished: 5 of 5 tenants OK"]
    statuses = dict(zip(at.dataframe[0].value["tenant_id"], at.dataframe[0].value["status"]))
    assert statuses.pop(paused) == "Paused"
    assert set(statuses.values()) == {"OK"}


def test_a_failing_tenant_shows_error_and_the_others_land(app_db: Path) -> None:
    from o365lic import demo
    from o365lic.simulator import Fault

    _, store = runtime(app_db)
    failing = reports.integrations_table(store)["tenant_id"].iloc[1]
    simulator = demo.demo_simulator()
    simulator.add_fault(failing, Fault("signin_failure", times=None))
    try:
        at = open_page(PAGE)
        at.button(key="start_manual_sync").click().run()
    finally:
        simulator.clear_faults(failing)
    assert not at.exception
    assert [s.label for s in at.status] == ["Sync finished with errors: 1 of 6 tenants failed"]
    assert at.status[0].state == "error"
    assert sum(t.value.startswith("Failed: ") for t in at.status[0].text) == 1
    table = at.dataframe[0].value
    statuses = dict(zip(table["tenant_id"], table["status"]))
    assert statuses.pop(failing) == "Error"
    assert set(statuses.values()) == {"OK"}
    error = table.loc[table["tenant_id"] == failing, "last_error"].iloc[0]
    assert isinstance(error, str) and error
    assert at.caption[0].value == "5 OK · 1 Error"


def _log_with_an_error(app_db: Path):
    """Six OK runs (one per demo tenant), then one failed run of the first tenant."""
    from o365lic import demo
    from o365lic.simulator import Fault
    from o365lic.sync import sync_tenants

    settings, store = runtime(app_db)
    assert all(r.outcome == "ok" for r in sync_tenants(store, settings, trigger="test"))
    failing = reports.integrations_table(store).iloc[0]
    simulator = demo.demo_simulator()
    simulator.add_fault(failing.tenant_id, Fault("signin_failure", times=None))
    try:
        assert sync_tenants(store, settings, tenants=[failing.tenant_id])[0].outcome == "error"
    finally:
        simulator.clear_faults(failing.tenant_id)
    return store, str(failing.organization)


def test_sync_log_filters_narrow_the_rows(app_db: Path) -> None:
    from datetime import datetime, timedelta

    store, failing = _log_with_an_error(app_db)
    at = open_page(PAGE)
    log = at.dataframe[1].value
    assert len(log) == 7 and "seconds" in log.columns
    assert "7 runs, newest first" in [c.value for c in at.caption]

    at.selectbox(key="sync_log_outcome").select("error").run()
    log = at.dataframe[1].value
    assert list(log["outcome"]) == ["error"] and list(log["organization"]) == [failing]
    assert "1 run, newest first (filtered)" in [c.value for c in at.caption]

    at.selectbox(key="sync_log_outcome").set_value(None)
    at.selectbox(key="sync_log_organization").select(failing).run()
    log = at.dataframe[1].value
    assert set(log["organization"]) == {failing} and sorted(log["outcome"]) == ["error", "ok"]
    assert len(log) == len(reports.sync_log(store, organization=failing)) == 2

    today = datetime.now(UTC).date()
    at.date_input(key="sync_log_since").set_value(today + timedelta(days=1)).run()
    assert len(at.dataframe) == 1  # no log table
    assert "No sync run matches these filters." in [c.value for c in at.caption]
    at.date_input(key="sync_log_since").set_value(today).run()
    assert len(at.dataframe[1].value) == 2


def test_download_sync_log_of_what_is_shown(app_db: Path, monkeypatch) -> None:
    from o365lic import export

    _store, failing = _log_with_an_error(app_db)
    made: list[str] = []
    original = export.sync_log_csv

    def spy(frame):
        made.append(original(frame))
        return made[-1]

    monkeypatch.setattr(export, "sync_log_csv", spy)
    files = record_downloads(monkeypatch)  # label -> the download's data, as the button got it
    at = open_page(PAGE)
    buttons = [b for b in at.get("download_button") if b.proto.label == "Sync log (CSV)"]
    assert len(buttons) == 1
    assert not made  # built when its button is clicked, not on every run
    files["Sync log (CSV)"]()  # type: ignore[operator]  # as a click would
    lines = made[-1].splitlines()
    assert lines[0] == ",".join(export.SYNC_LOG_HEADER)
    assert lines[0].startswith("Run,Organization,Tenant ID,Started,Finished,Seconds,Outcome")
    assert len(lines) == 1 + 7
    at.selectbox(key="sync_log_outcome").select("error").run()
    files["Sync log (CSV)"]()  # type: ignore[operator]
    lines = made[-1].splitlines()
    assert len(lines) == 2 and ",error," in lines[1] and failing in lines[1]


def test_excel_downloads_reopen_with_numbers_dates_and_a_formula_name_as_text(app_db: Path, monkeypatch) -> None:
    import io
    from datetime import datetime

    import openpyxl

    from o365lic import workbook

    store, failing = _log_with_an_error(app_db)
    formula = "=HYPERLINK(\"http://x\",\"y\")"
    with store.transaction() as con:
        con.execute("UPDATE organizations SET name = ? WHERE name = ?", [formula, failing])
    made: dict[str, list[bytes]] = {}  # sheet title -> the workbooks made with it
    original = workbook.workbook_bytes

    def spy(sheets):
        data = original(sheets)
        made.setdefault(next(iter(sheets)), []).append(data)
        return data

    monkeypatch.setattr(workbook, "workbook_bytes", spy)
    files = record_downloads(monkeypatch)  # label -> the download's data, as the button got it
    at = open_page(PAGE)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Active Integrations (CSV)", "Active Integrations (Excel)", "Sync log (CSV)", "Sync log (Excel)"]
    assert "Sync log" not in made and "Active Integrations" not in made  # built when clicked, not on every run
    assert callable(files["Sync log (Excel)"]) and callable(files["Sync log (CSV)"])
    files["Sync log (Excel)"]()  # type: ignore[operator]  # as a click would
    assert len(made["Sync log"]) == 1
    assert callable(files["Active Integrations (Excel)"]) and callable(files["Active Integrations (CSV)"])
    csv = files["Active Integrations (CSV)"]().decode("utf-8").splitlines()  # type: ignore[operator]
    assert csv[0].startswith("Organization,Tenant,Domain,Tenant ID,Status") and len(csv) == 1 + 6
    files["Active Integrations (Excel)"]()  # type: ignore[operator]
    integrations = openpyxl.load_workbook(io.BytesIO(made["Active Integrations"][0])).worksheets[0]
    header = [c.value for c in integrations[1]]
    assert header[:5] == ["Organization", "Tenant", "Domain", "Tenant ID", "Status"] and header[-1] == "Warning"
    assert integrations.max_row == 1 + 6  # every tenant, not only the page shown
    cells = {integrations.cell(row, 1).value: integrations.cell(row, 1) for row in range(2, integrations.max_row + 1)}
    assert cells[formula].data_type == "s"  # a name starting with "=" stays a string, never a formula
    log = openpyxl.load_workbook(io.BytesIO(made["Sync log"][0])).worksheets[0]
    header = [c.value for c in log[1]]
    assert header == [*reports_header(), "Warning"]
    started = header.index("Started") + 1
    assert all(isinstance(log.cell(row, started).value, datetime) for row in range(2, log.max_row + 1))
    ok = [row for row in range(2, log.max_row + 1) if log.cell(row, header.index("Outcome") + 1).value == "ok"]
    assert len(ok) == 6
    assert all(isinstance(log.cell(row, header.index("Licenses") + 1).value, (int, float)) for row in ok)
    assert log.max_row == 1 + 7


def reports_header() -> list[str]:
    from o365lic.export import SYNC_LOG_HEADER

    return list(SYNC_LOG_HEADER)


def test_problems_first_search_status_filter_and_pages(app_db: Path) -> None:
    store, failing = _log_with_an_error(app_db)  # six synced tenants, the first one's last run failed
    with store.transaction() as con:  # 150 more tenants, connected and never synced
        con.execute("INSERT INTO organizations (name) SELECT printf('Extra Customer %03d', range) FROM range(150)")
        con.execute("INSERT INTO integrations (tenant_id, tenant_name, organization_id) "
                    "SELECT printf('00000000-0000-4000-8000-%012d', id), name, id FROM organizations "
                    "WHERE name LIKE 'Extra Customer %'")
    at = open_page(PAGE)
    assert at.caption[0].value == "5 OK · 1 Error · 150 Never synced"
    assert "Tenants 1–100 of 156, problems first" in [c.value for c in at.caption]
    table = at.dataframe[0].value
    assert len(table) == 100  # one bounded page, not every tenant
    assert list(table["organization"][:1]) == [failing] and list(table["status"][:1]) == ["Error"]
    assert set(table["status"][1:]) == {"Never synced"}
    at.number_input(key="integrations_page").set_value(2).run()
    table = at.dataframe[0].value
    assert len(table) == 56 and list(table["status"]).count("OK") == 5
    assert "Tenants 101–156 of 156, problems first" in [c.value for c in at.caption]

    at.selectbox(key="integrations_status").select("OK").run()
    assert set(at.dataframe[0].value["status"]) == {"OK"} and len(at.dataframe[0].value) == 5
    assert not at.number_input  # one page: no page box
    at.selectbox(key="integrations_status").select("All statuses")
    at.text_input(key="integrations_search").input("customer 149").run()
    assert list(at.dataframe[0].value["organization"]) == ["Extra Customer 149"]
    at.text_input(key="integrations_search").input("nobody by that name").run()
    assert "No tenant matches this search." in [c.value for c in at.caption]
    assert at.caption[0].value == "5 OK · 1 Error · 150 Never synced"  # the counts stay those of every tenant
