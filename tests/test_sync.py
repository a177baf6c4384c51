"""Sync end to end: simulator over HTTPS -> Graph client -> DuckDB, with failures."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from o365lic import reports
from o365lic.simulator import Fault, Simulator
from o365lic.store import Store, list_integrations, update_integration
from o365lic.sync import SyncInProgressError, sync_lock, sync_tenants
from o365lic.sync import run as run_module
from tests.conftest import connect_all, fast_connector, settings_for


def expected_licenses(sim: Simulator, tenant_id: str) -> dict[str, tuple[int, int, int]]:
    """SKU id -> (active, consumed, unused) computed straight from the simulator's data."""
    tenant = sim.tenants[tenant_id]
    out = {}
    for sku in tenant.skus:
        consumed = sum(sku.sku_id in u.sku_ids for u in tenant.users)
        active = sku.enabled + sku.warning if sku.capability_status in ("Enabled", "Warning") else 0
        out[sku.sku_id] = (active, consumed, max(active - consumed, 0))
    return out


def stored_licenses(store: Store, tenant_id: str) -> dict[str, tuple[int, int, int]]:
    return {r[0]: (r[1], r[2], r[3]) for r in store.rows(
        "SELECT sku_id, active, consumed, unused FROM office365_licenses WHERE tenant_id = ?", [tenant_id])}


def test_sync_lands_every_tenant_with_the_spec_numbers(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    lines = []
    results = sync_tenants(store, settings_for(sim, db_path), on_result=lambda r, d, t: lines.append((r, d, t)))
    assert [r.outcome for r in results] == ["ok"] * len(sim.tenants)
    assert [d for _, d, _ in lines] == list(range(1, len(sim.tenants) + 1))
    for tenant_id, tenant in sim.tenants.items():
        assert stored_licenses(store, tenant_id) == expected_licenses(sim, tenant_id)
        org = store.scalar("SELECT organization_id FROM integrations WHERE tenant_id = ?", [tenant_id])
        assert store.scalar("SELECT count(*) FROM contacts WHERE organization_id = ?", [org]) == len(tenant.users)
    assert {i.status for i in list_integrations(store)} == {"OK"}
    # every license asset is tagged with exactly the users that hold it
    for sku_id, holders, tags in store.rows(
        """SELECT a.sku_id, a.consumed, count(t.contact_id) FROM flexible_assets a
           LEFT JOIN flexible_asset_tags t ON t.flexible_asset_id = a.id GROUP BY a.id, a.sku_id, a.consumed"""):
        assert holders == tags, sku_id
    assert store.scalar("SELECT count(*) FROM staging_users") == 0


def test_status_mix_is_stored_per_spec(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    sync_tenants(store, settings_for(sim, db_path))
    for status, active, _warning, _suspended in store.rows(
            "SELECT status, active, warning_units, suspended_units FROM office365_licenses"):
        if status in ("Suspended", "LockedOut", "Deleted"):
            assert active == 0
    free = store.rows("SELECT sku_part_number FROM office365_licenses WHERE is_free")
    assert {"FLOW_FREE", "TEAMS_EXPLORATORY", "POWER_BI_STANDARD"} & {r[0] for r in free}


def test_resync_keeps_one_contact_per_user_and_stable_assets(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    settings = settings_for(sim, db_path)
    sync_tenants(store, settings)
    assets = store.rows("SELECT id, sku_id FROM flexible_assets ORDER BY id")
    contacts = store.scalar("SELECT count(*) FROM contacts")
    tags = store.scalar("SELECT count(*) FROM flexible_asset_tags")
    sync_tenants(store, settings)
    assert store.rows("SELECT id, sku_id FROM flexible_assets ORDER BY id") == assets
    assert store.scalar("SELECT count(*) FROM contacts") == contacts
    assert store.scalar("SELECT count(*) FROM flexible_asset_tags") == tags
    # history keeps a snapshot only when a license's numbers change (issue 10): none this time
    assert store.scalar("SELECT count(DISTINCT sync_run_id) FROM license_snapshots") == len(sim.tenants)
    assert store.scalar("SELECT count(*) FROM subscriptions") > 0


def test_a_tenant_with_a_revoked_secret_fails_while_the_others_land(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    broken = list(sim.tenants)[2]
    sim.add_fault(broken, Fault("signin_failure", times=None))
    results = {r.tenant_id: r for r in sync_tenants(store, settings_for(sim, db_path))}
    assert results[broken].outcome == "error"
    assert "invalid_client" in (results[broken].error or "")
    assert sim.client_secret not in (results[broken].error or "")
    assert all(r.outcome == "ok" for t, r in results.items() if t != broken)
    status = {i.tenant_id: i for i in list_integrations(store)}
    assert status[broken].status == "Error" and "invalid_client" in (status[broken].last_error or "")
    assert stored_licenses(store, broken) == {}
    for tenant_id in sim.tenants:
        if tenant_id != broken:
            assert stored_licenses(store, tenant_id) == expected_licenses(sim, tenant_id)


@pytest.mark.parametrize(
    "fault",
    [Fault("malformed", path="/users", times=None), Fault("throttle", path="/users", times=None, retry_after=0.01),
     Fault("unavailable", path="/subscribedSkus", times=None, retry_after=0.01)],
    ids=["malformed-users", "429-storm", "503-storm"],
)
def test_a_failing_resync_leaves_the_previous_data_whole(
        own_simulator: Simulator, store: Store, db_path, fault) -> None:
    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    tenant_id = next(iter(own_simulator.tenants))
    integration = store.scalar("SELECT id FROM integrations WHERE tenant_id = ?", [tenant_id])
    queries = {
        "contacts": ("SELECT * FROM contacts WHERE integration_id = ? ORDER BY id", [integration]),
        "tags": ("SELECT t.* FROM flexible_asset_tags t JOIN flexible_assets a ON a.id = t.flexible_asset_id "
                 "WHERE a.integration_id = ? ORDER BY 1, 2", [integration]),
        "subs": ("SELECT subscription_id, total_licenses, synced_at FROM subscriptions "
                 "WHERE integration_id = ? ORDER BY 1", [integration]),
        "snapshots": ("SELECT count(*) FROM license_snapshots WHERE integration_id = ?", [integration]),
    }
    before = {name: store.rows(sql, params) for name, (sql, params) in queries.items()}
    before["licenses"] = stored_licenses(store, tenant_id)
    assert before["contacts"] and before["tags"] and before["subs"]
    # Microsoft's numbers change, but this re-sync of the tenant fails half-way
    tenant = own_simulator.tenants[tenant_id]
    tenant.skus[0] = dataclasses.replace(tenant.skus[0], enabled=tenant.skus[0].enabled + 50)
    own_simulator.add_fault(tenant_id, fault)
    results = sync_tenants(store, settings, connector=fast_connector(settings))
    outcome = {r.tenant_id: r.outcome for r in results}
    assert outcome[tenant_id] == "error"
    assert list(outcome.values()).count("ok") == len(own_simulator.tenants) - 1
    assert stored_licenses(store, tenant_id) == before["licenses"]
    for name, (sql, params) in queries.items():
        assert store.rows(sql, params) == before[name], name
    assert store.scalar("SELECT count(*) FROM staging_users") == 0
    # once Microsoft behaves again the change lands
    own_simulator.clear_faults()
    sync_tenants(store, settings)
    assert stored_licenses(store, tenant_id) == expected_licenses(own_simulator, tenant_id)


def test_a_crash_inside_the_final_transaction_rolls_everything_back(
    own_simulator: Simulator, store: Store, db_path, monkeypatch
) -> None:
    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    before = store.rows("SELECT * FROM flexible_assets ORDER BY id")
    tags = store.rows("SELECT * FROM flexible_asset_tags ORDER BY 1, 2")
    for tenant in own_simulator.tenants.values():
        tenant.skus[0] = dataclasses.replace(tenant.skus[0], enabled=tenant.skus[0].enabled + 7)

    import o365lic.store.landing as assets

    real = assets._upsert_assets

    def upsert_then_crash(con, *args, **kwargs):
        real(con, *args, **kwargs)  # the assets are already rewritten inside the transaction...
        raise OSError("disk full")  # ...when the disk fills up

    monkeypatch.setattr(assets, "_upsert_assets", upsert_then_crash)
    results = sync_tenants(store, settings)
    assert {r.outcome for r in results} == {"error"}
    assert all("disk full" in (r.error or "") for r in results)
    assert store.rows("SELECT * FROM flexible_assets ORDER BY id") == before
    assert store.rows("SELECT * FROM flexible_asset_tags ORDER BY 1, 2") == tags


def test_a_sku_that_disappears_loses_its_asset(own_simulator: Simulator, store: Store, db_path) -> None:
    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    tenant_id = next(iter(own_simulator.tenants))
    tenant = own_simulator.tenants[tenant_id]
    gone = tenant.skus.pop()
    for user in tenant.users:
        if gone.sku_id in user.sku_ids:
            user.sku_ids.remove(gone.sku_id)
    sync_tenants(store, settings)
    assert gone.sku_id not in stored_licenses(store, tenant_id)
    assert stored_licenses(store, tenant_id) == expected_licenses(own_simulator, tenant_id)


def test_a_changed_upn_keeps_one_contact(own_simulator: Simulator, store: Store, db_path) -> None:
    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    tenant = next(iter(own_simulator.tenants.values()))
    user = tenant.users[0]
    user.user_principal_name = "renamed." + user.user_principal_name
    count = store.scalar("SELECT count(*) FROM contacts")
    sync_tenants(store, settings)
    assert store.scalar("SELECT count(*) FROM contacts") == count
    assert store.rows("SELECT user_principal_name FROM contacts WHERE user_id = ?", [user.id]) == [
        (user.user_principal_name,)]


def test_paused_tenants_are_not_synced(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    paused = list(sim.tenants)[0]
    update_integration(store, paused, paused=True)
    results = sync_tenants(store, settings_for(sim, db_path))
    assert paused not in {r.tenant_id for r in results}
    named = sync_tenants(store, settings_for(sim, db_path), tenants=[paused])
    assert [(r.tenant_id, r.outcome, r.error) for r in named] == [(paused, "skipped", "paused")]
    assert store.scalar("SELECT count(*) FROM sync_runs WHERE tenant_id = ?", [paused]) == 0


def test_named_tenants_by_id_or_domain(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    tenant = list(sim.tenants.values())[1]
    settings = settings_for(sim, db_path)
    sync_tenants(store, settings, tenants=[tenant.tenant_id])
    results = sync_tenants(store, settings, tenants=[tenant.domains[0], "00000000-0000-0000-0000-00000000dead"])
    assert [(r.tenant_id, r.outcome) for r in results] == [
        ("00000000-0000-0000-0000-00000000dead", "error"), (tenant.tenant_id, "ok")]
    assert store.scalar("SELECT count(DISTINCT tenant_id) FROM sync_runs") == 1


def test_licenses_setting_off_keeps_the_assets_as_they_were(own_simulator: Simulator, store: Store, db_path) -> None:
    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    tenant_id = next(iter(own_simulator.tenants))
    before = stored_licenses(store, tenant_id)
    update_integration(store, tenant_id, sync_licenses=False)
    tenant = own_simulator.tenants[tenant_id]
    tenant.skus[0] = dataclasses.replace(tenant.skus[0], enabled=tenant.skus[0].enabled + 9)
    sync_tenants(store, settings)
    assert stored_licenses(store, tenant_id) == before
    assert own_simulator.request_count(tenant_id, "/subscribedSkus") == 1


def test_one_sync_at_a_time(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    with sync_lock(db_path), pytest.raises(SyncInProgressError, match="already running"):
        sync_tenants(store, settings_for(sim, db_path))
    assert store.scalar("SELECT count(*) FROM sync_runs") == 0


def test_secrets_never_reach_the_database_or_the_log(sim: Simulator, store: Store, db_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    connect_all(store, sim)
    sim.add_fault(list(sim.tenants)[0], Fault("signin_failure", times=None))
    sync_tenants(store, settings_for(sim, db_path))
    assert sim.client_secret not in caplog.text
    with store.connect() as con:
        con.execute("CHECKPOINT")
    assert sim.client_secret.encode() not in db_path.read_bytes()


def test_reports_agree_with_the_view(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    sync_tenants(store, settings_for(sim, db_path))
    table = reports.licenses(store, include_free=True)
    totals = reports.totals(store, include_free=True)
    assert totals["active"] == table["active"].sum() and totals["consumed"] == table["consumed"].sum()
    paid = reports.totals(store)
    assert paid["active"] <= totals["active"]
    org = table["organization"].iloc[0]
    one = reports.licenses(store, organizations=[org], include_free=True)
    assert set(one["organization"]) == {org}
    summary = reports.organization_summary(store, include_free=True)
    assert summary["active"].sum() == totals["active"]
    assert list(summary["active"]) == sorted(summary["active"], reverse=True)
    found = reports.licenses(store, search="e3", include_free=True)
    assert all("e3" in (n + p).lower() or "e3" in o.lower()
               for n, p, o in zip(found["license_name"], found["sku_part_number"], found["organization"]))


def test_due_only_skips_tenants_synced_within_their_interval_and_paused_ones(
    sim: Simulator, store: Store, db_path
) -> None:
    connect_all(store, sim)
    settings = settings_for(sim, db_path)
    tenants = list(sim.tenants)
    first = sync_tenants(store, settings, due_only=True)
    assert len(first) == len(tenants)  # never synced: all due
    assert sync_tenants(store, settings, due_only=True) == []  # synced just now, hourly interval
    # one tenant's last sync was 20 minutes ago with a 15-minute interval; another is paused
    update_integration(store, tenants[0], sync_interval_minutes=15)
    update_integration(store, tenants[1], sync_interval_minutes=15, paused=True)
    with store.transaction() as con:
        con.execute("UPDATE sync_runs SET finished_at = finished_at - INTERVAL 20 MINUTE "
                    "WHERE tenant_id IN (?, ?)", tenants[:2])
    due = sync_tenants(store, settings, due_only=True)
    assert [r.tenant_id for r in due] == [tenants[0]]


def test_a_server_refusing_the_extra_user_properties_gets_the_minimal_select(
    sim: Simulator, store: Store, db_path, monkeypatch
) -> None:
    import o365lic.sync.fetch as sync_module

    monkeypatch.setattr(sync_module, "USER_SELECT", sync_module.MINIMAL_USER_SELECT + ",notARealProperty")
    connect_all(store, sim)
    results = sync_tenants(store, settings_for(sim, db_path))
    assert {r.outcome for r in results} == {"ok"}
    for tenant_id, _tenant in sim.tenants.items():
        assert stored_licenses(store, tenant_id) == expected_licenses(sim, tenant_id)
    assert store.scalar("SELECT count(*) FROM contacts") == sum(len(t.users) for t in sim.tenants.values())


def test_subscriptions_refused_with_403_land_the_licenses_keep_the_subscriptions_and_warn(
    own_simulator: Simulator, store: Store, db_path, monkeypatch
) -> None:
    from o365lic.graph import GraphClient, GraphError

    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    tenant_id = next(iter(own_simulator.tenants))
    subs_before = store.rows("SELECT s.* FROM subscriptions s JOIN integrations i ON i.id = s.integration_id "
                             "WHERE i.tenant_id = ? ORDER BY subscription_id", [tenant_id])
    assert subs_before
    tenant = own_simulator.tenants[tenant_id]
    tenant.skus[0] = dataclasses.replace(tenant.skus[0], enabled=tenant.skus[0].enabled + 5)
    real = GraphClient.get_all

    def refuse_subscriptions(self, path, params=None):  # the simulator grants every right
        if path == "/directory/subscriptions" and self.tenant_id == tenant_id:
            raise GraphError("Insufficient privileges to complete the operation.", tenant_id=self.tenant_id,
                             call=f"GET {path}", status=403, code="Authorization_RequestDenied")
        return real(self, path, params)

    monkeypatch.setattr(GraphClient, "get_all", refuse_subscriptions)
    results = {r.tenant_id: r for r in sync_tenants(store, settings)}
    assert {r.outcome for r in results.values()} == {"ok"}
    assert results[tenant_id].warning.startswith("renewal dates and trial flags unavailable: ")
    assert "Insufficient privileges" in results[tenant_id].line()
    assert stored_licenses(store, tenant_id) == expected_licenses(own_simulator, tenant_id)  # licenses landed
    assert store.rows("SELECT s.* FROM subscriptions s JOIN integrations i ON i.id = s.integration_id "
                      "WHERE i.tenant_id = ? ORDER BY subscription_id", [tenant_id]) == subs_before
    table = reports.integrations_table(store).set_index("tenant_id")
    assert table.loc[tenant_id, "status"] == "OK"
    assert "renewal dates and trial flags unavailable" in table.loc[tenant_id, "warning"]
    assert table["warning"].notna().sum() == 1
    log = reports.sync_log(store, tenant_id=tenant_id)
    assert "Insufficient privileges" in log["warning"].iloc[0]
    # the next clean sync clears the warning
    monkeypatch.setattr(GraphClient, "get_all", real)
    sync_tenants(store, settings)
    assert reports.integrations_table(store)["warning"].isna().all()


def test_a_sync_holds_the_file_only_while_it_commits(own_simulator: Simulator, store: Store, db_path) -> None:
    """While a sync waits on Microsoft, another program opens the database at once."""
    import threading
    import time

    from o365lic.simulator.faults import ANY_TENANT
    from o365lic.store import Store as OpenStore

    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    own_simulator.add_fault(ANY_TENANT, Fault("slow", path="/users", times=None, delay_s=6.0))
    reader = subprocess_reader(db_path)  # started (and its imports done) before the sync
    worker = threading.Thread(target=sync_tenants, args=(store, settings))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not OpenStore(db_path).scalar("SELECT count(*) FROM sync_runs WHERE outcome = 'running'"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        out, err = reader.communicate("read\n", timeout=60)
        assert reader.returncode == 0, err
        assert int(out.split()[-1]) >= 1  # read in the middle of the sync: runs still running
    finally:
        reader.kill()
        worker.join()
    assert {i.status for i in list_integrations(store)} == {"OK"}
    assert OpenStore(db_path).scalar("SELECT count(*) FROM sync_runs WHERE outcome = 'ok'") == 3


def subprocess_reader(db_path):
    """Another process that imports the store, says "ready", and on a line from its input opens
    the database with a 1-second patience and prints the number of running runs."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; from o365lic.store import Store; print('ready', flush=True); sys.stdin.readline(); "
            "print(Store(sys.argv[1], lock_timeout=1.0).scalar("
            "\"SELECT count(*) FROM sync_runs WHERE outcome = 'running'\"))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc



def test_a_sync_killed_mid_run_leaves_data_whole_and_its_tenants_interrupted(
    own_simulator: Simulator, store: Store, db_path
) -> None:
    import json
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from o365lic.simulator.faults import ANY_TENANT
    from o365lic.sync import is_sync_running, recover_interrupted_runs

    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    columns = "id, integration_id, sku_id, active, consumed, unused, free_reason"
    before = store.rows(f"SELECT {columns} FROM flexible_assets ORDER BY id")
    tags = store.rows("SELECT * FROM flexible_asset_tags ORDER BY 1, 2")
    contacts = store.rows("SELECT id, user_id, display_name FROM contacts ORDER BY id")
    own_simulator.add_fault(ANY_TENANT, Fault("slow", path="/users", times=None, delay_s=10.0))
    sim = {"authority_host": own_simulator.authority_host, "graph_url": own_simulator.graph_url,
           "ca_bundle": str(own_simulator.ca_file), "client_id": own_simulator.client_id,
           "client_secret": own_simulator.client_secret, "product_names_url": own_simulator.product_names_url}
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from o365lic.config import Settings\n"
        "from o365lic.store import Store\n"
        "from o365lic.sync import sync_tenants\n"
        "sim = json.loads(sys.argv[2])\n"
        "settings = Settings(db_path=Path(sys.argv[1]), concurrency=4).with_simulator(**sim)\n"
        "sync_tenants(Store(sys.argv[1]), settings)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(db_path), json.dumps(sim)],
                             cwd=Path(__file__).resolve().parents[1], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while store.scalar("SELECT count(*) FROM sync_runs WHERE outcome = 'running'") < 3:
            assert time.monotonic() < deadline and child.poll() is None, "the sync never started"
            time.sleep(0.2)
        assert recover_interrupted_runs(store) == 0  # its runs are really running
        assert {i.status for i in list_integrations(store)} == {"Syncing..."}
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
    own_simulator.clear_faults()
    assert not is_sync_running(db_path)
    assert {i.status for i in list_integrations(store)} == {"Syncing..."}  # until someone looks
    assert recover_interrupted_runs(store) == 3
    assert {(i.status, i.last_error) for i in list_integrations(store)} == {("Error", "interrupted")}
    assert store.rows(f"SELECT {columns} FROM flexible_assets ORDER BY id") == before
    assert store.rows("SELECT * FROM flexible_asset_tags ORDER BY 1, 2") == tags
    assert store.rows("SELECT id, user_id, display_name FROM contacts ORDER BY id") == contacts
    assert {r.outcome for r in sync_tenants(store, settings)} == {"ok"}


def test_names_from_the_tenant_are_cleaned_as_they_enter_the_store(
    own_simulator: Simulator, store: Store, db_path
) -> None:
    connect_all(store, own_simulator)
    tenant_id, tenant = next(iter(own_simulator.tenants.items()))
    tenant.display_name = "Evil\x1b[31m Corp\x00"
    user = tenant.users[0]
    user.display_name = "Ada\x07 \x1b]8;;http://x\x07Lovelace"
    sync_tenants(store, settings_for(own_simulator, db_path))
    assert store.scalar("SELECT tenant_name FROM integrations WHERE tenant_id = ?", [tenant_id]) == "Evil Corp"
    assert store.scalar("SELECT display_name FROM contacts WHERE user_id = ?", [user.id]) == "Ada Lovelace"


def test_tenants_land_in_organization_order_so_a_group_commit_reads_neighbouring_rows(
        sim: Simulator, store: Store, db_path) -> None:
    """A sync fetches and lands tenants by organization id (the order their contacts are kept
    in), not by name: a group commit then touches neighbouring row groups only."""
    from o365lic.store import add_integration

    tenants = list(sim.tenants.values())
    names = [f"Org {chr(ord('Z') - n)}" for n in range(len(tenants))]  # created Z, Y, X...: ids against names
    for tenant, name in zip(tenants, names, strict=True):
        add_integration(store, tenant.tenant_id, name)
    landed: list[str] = []
    results = sync_tenants(store, settings_for(sim, db_path, concurrency=1), group_size=1,
                           on_result=lambda r, d, t: landed.append(r.tenant_id))
    assert [r.outcome for r in results] == ["ok"] * len(tenants)
    assert landed == [t.tenant_id for t in tenants]  # organization ids, not names (which run Z to A)
    assert [i.organization for i in list_integrations(store)] == sorted(names)  # pages still list by name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux keeps a CPU priority per thread")
def test_the_threads_that_fetch_run_at_a_lower_cpu_priority_and_the_writer_at_the_callers(
        sim: Simulator, store: Store, db_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync is background work: on the app's machine, the pages people use come first."""
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    fetching: list[int] = []
    writing: list[int] = []
    fetch = run_module.fetch_tenant
    monkeypatch.setattr(run_module, "fetch_tenant", lambda *a, **k: (fetching.append(niceness()), fetch(*a, **k))[1])
    connect_all(store, sim)
    caller = niceness()
    results = sync_tenants(store, settings_for(sim, db_path), on_result=lambda *_: writing.append(niceness()))
    assert [r.outcome for r in results] == ["ok"] * len(sim.tenants)
    assert fetching == [max(caller, run_module.BACKGROUND_NICENESS)] * len(sim.tenants)
    assert writing == [caller] * len(sim.tenants)  # the writer holds the file: it keeps its priority
    assert niceness() == caller


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux keeps a CPU priority per thread")
def test_python_m_o365lic_sync_runs_its_whole_process_in_the_background(tmp_path) -> None:
    """A cron sync on the app's machine: every thread of it (the writer too) at the background priority
    (demo mode: the built-in tenants)."""
    code = ("import os, sys; from o365lic.cli import main; "
            "code = main(['sync'], program=True); print(code, os.getpriority(os.PRIO_PROCESS, 0))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("O365LIC_")}
    env["O365LIC_DB"] = str(tmp_path / "o365lic.duckdb")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert "6 tenants synced, 0 failed" in done.stdout  # the demo tenants
    code, niceness = done.stdout.split()[-2:]
    assert (code, int(niceness)) == ("0", max(os.getpriority(os.PRIO_PROCESS, 0), run_module.BACKGROUND_NICENESS))
