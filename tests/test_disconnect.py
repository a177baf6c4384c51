"""The two disconnect modes leave exactly what SPEC section 8 says (counted in rows)."""

from __future__ import annotations

import pytest

from o365lic.simulator import Simulator
from o365lic.store import (
    DisconnectReport,
    IntegrationError,
    Store,
    add_integration,
    disconnect_tenant,
    get_integration,
    list_integrations,
)
from o365lic.sync import sync_tenants
from o365lic.wording import DISCONNECT_LABELS, disconnect_line, disconnect_report
from tests.conftest import connect_all, settings_for

TABLES = ("organizations", "contacts", "integrations", "flexible_asset_types", "flexible_asset_fields",
          "flexible_assets", "flexible_asset_tags", "subscriptions", "sync_runs", "license_snapshots")


def counts(store: Store) -> dict[str, int]:
    return {t: store.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}


def of_tenant(store: Store, tenant_id: str) -> dict[str, int]:
    integration = store.scalar("SELECT id FROM integrations WHERE tenant_id = ?", [tenant_id])
    return {
        "assets": store.scalar("SELECT count(*) FROM flexible_assets WHERE integration_id = ?", [integration]),
        "tags": store.scalar("SELECT count(*) FROM flexible_asset_tags WHERE flexible_asset_id IN "
                             "(SELECT id FROM flexible_assets WHERE integration_id = ?)", [integration]),
        "snapshots": store.scalar("SELECT count(*) FROM license_snapshots WHERE integration_id = ?", [integration]),
        "subscriptions": store.scalar("SELECT count(*) FROM subscriptions WHERE integration_id = ?", [integration]),
        "runs": store.scalar("SELECT count(*) FROM sync_runs WHERE integration_id = ?", [integration]),
    }


def test_the_labels_are_exact() -> None:
    assert DISCONNECT_LABELS == {
        "keep-data": "Permanently disconnect records from Office 365 but keep all data",
        "delete-data": "Permanently delete all data including all related/child records",
    }


def test_the_terminal_and_the_page_report_a_disconnect_from_one_place() -> None:
    tenant = "11111111-1111-1111-1111-111111111111"
    kept = DisconnectReport(tenant, "keep-data", assets=3, tags=7, snapshots=1, type_deleted=False)
    gone = DisconnectReport(tenant, "delete-data", assets=3, tags=7, snapshots=1, type_deleted=True)
    assert disconnect_line(kept) == f"disconnected {tenant}; kept 3 license assets and their history"
    assert disconnect_line(gone) == (f"disconnected {tenant}; deleted 3 license assets, 7 tags, 1 history rows; "
                                     "the Office 365 Licenses type is gone too")
    assert disconnect_report(kept, "Contoso") == ("Disconnected Contoso: syncing stopped; 3 license assets, "
                                                  "7 tags and 1 entry of license history kept (no longer synced).")


def test_keep_data_stops_syncing_and_keeps_every_row(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    settings = settings_for(sim, db_path)
    sync_tenants(store, settings)
    tenant = list(sim.tenants)[0]
    before = counts(store)
    report = disconnect_tenant(store, tenant, "keep-data")
    assert counts(store) == before
    assert report.assets > 0 and not report.type_deleted
    assert store.scalar("SELECT count(*) FROM office365_licenses WHERE tenant_id = ? AND synced", [tenant]) == 0
    assert store.scalar("SELECT count(*) FROM office365_licenses WHERE tenant_id = ?", [tenant]) == report.assets
    assert tenant not in {i.tenant_id for i in list_integrations(store)}
    results = sync_tenants(store, settings)
    assert tenant not in {r.tenant_id for r in results}
    assert counts(store)["sync_runs"] == before["sync_runs"] + len(sim.tenants) - 1


def test_delete_data_deletes_the_tenants_records_only(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    sync_tenants(store, settings_for(sim, db_path))
    tenant = list(sim.tenants)[1]
    before = counts(store)
    own = of_tenant(store, tenant)
    report = disconnect_tenant(store, tenant, "delete-data")
    after = counts(store)
    assert (report.assets, report.tags, report.snapshots) == (own["assets"], own["tags"], own["snapshots"])
    assert after["flexible_assets"] == before["flexible_assets"] - own["assets"]
    assert after["flexible_asset_tags"] == before["flexible_asset_tags"] - own["tags"]
    assert after["license_snapshots"] == before["license_snapshots"] - own["snapshots"]
    assert after["subscriptions"] == before["subscriptions"] - own["subscriptions"]
    assert after["sync_runs"] == before["sync_runs"] - own["runs"]
    assert after["integrations"] == before["integrations"] - 1
    # organizations and contacts the integration created stay; the type is still used by others
    assert after["organizations"] == before["organizations"]
    assert after["contacts"] == before["contacts"]
    assert after["flexible_asset_types"] == 1 and not report.type_deleted


def test_deleting_the_last_integration_deletes_the_type(own_simulator: Simulator, store: Store, db_path) -> None:
    tenant = next(iter(own_simulator.tenants.values()))
    add_integration(store, tenant.tenant_id, "Solo")
    sync_tenants(store, settings_for(own_simulator, db_path))
    contacts = counts(store)["contacts"]
    report = disconnect_tenant(store, tenant.tenant_id, "delete-data")
    assert report.type_deleted
    after = counts(store)
    assert after["flexible_asset_types"] == 0 and after["flexible_asset_fields"] == 0
    assert after["flexible_assets"] == 0 and after["license_snapshots"] == 0
    assert after["organizations"] == 1 and after["contacts"] == contacts


def test_a_kept_tenant_can_be_connected_again_without_duplicates(
        own_simulator: Simulator, store: Store, db_path) -> None:
    tenant = next(iter(own_simulator.tenants.values()))
    add_integration(store, tenant.tenant_id, "Again")
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    assets = counts(store)["flexible_assets"]
    disconnect_tenant(store, tenant.tenant_id, "keep-data")
    add_integration(store, tenant.tenant_id, "Again")
    sync_tenants(store, settings)
    assert counts(store)["flexible_assets"] == assets
    assert store.scalar("SELECT bool_and(synced) FROM flexible_assets")


def test_disconnecting_an_unknown_tenant_changes_nothing(sim: Simulator, store: Store) -> None:
    connect_all(store, sim)
    before = counts(store)
    with pytest.raises(IntegrationError, match="not connected"):
        disconnect_tenant(store, "00000000-0000-0000-0000-000000000001", "delete-data")
    with pytest.raises(IntegrationError, match="unknown disconnect mode"):
        disconnect_tenant(store, list(sim.tenants)[0], "shred")  # type: ignore[arg-type]
    assert counts(store) == before


def test_cli_disconnect(sim: Simulator, store: Store, db_path, monkeypatch) -> None:
    from tests.test_cli import run

    monkeypatch.setenv("O365LIC_DB", str(db_path))
    connect_all(store, sim)
    tenants = list(sim.tenants)
    code, out, _ = run("disconnect", tenants[0], "--keep-data")
    assert code == 0 and "kept" in out
    code, out, _ = run("disconnect", tenants[1], "--delete-data")
    assert code == 0 and "deleted" in out
    code, _, err = run("disconnect", tenants[1], "--delete-data")
    assert code == 1 and "not connected" in err
    assert {i.tenant_id for i in list_integrations(store)} == set(tenants[2:])


# --- data stays where it belongs (issue 7) ---------------------------------------------------

def _by_organization(store: Store) -> dict[str, tuple[int, int]]:
    """Organization -> (license assets, of them synced)."""
    return {str(r[0]): (int(r[1]), int(r[2])) for r in store.rows(
        "SELECT organization, count(*), count(*) FILTER (WHERE synced) FROM office365_licenses GROUP BY 1")}


def test_after_delete_data_the_organization_still_exports_an_empty_csv(
    own_simulator: Simulator, store: Store, db_path, monkeypatch
) -> None:
    from tests.test_cli import HEADER, run

    monkeypatch.setenv("O365LIC_DB", str(db_path))
    tenant = next(iter(own_simulator.tenants.values()))
    add_integration(store, tenant.tenant_id, "Woodgrove Bank")
    sync_tenants(store, settings_for(own_simulator, db_path))
    assert _by_organization(store)["Woodgrove Bank"][0] > 0
    assert run("disconnect", tenant.tenant_id, "--delete-data")[0] == 0
    code, out, err = run("export", "--organization", "woodgrove  bank")
    assert code == 0, err
    assert out.splitlines() == [HEADER]
    code, _, err = run("export", "--organization", "Nobody Inc")
    assert code == 1 and "no organization named" in err


def test_reconnecting_a_kept_tenant_to_another_organization_leaves_the_kept_data_where_it_was(
    own_simulator: Simulator, store: Store, db_path, monkeypatch
) -> None:
    from tests.test_cli import run

    monkeypatch.setenv("O365LIC_DB", str(db_path))
    tenant = next(iter(own_simulator.tenants.values()))
    settings = settings_for(own_simulator, db_path)
    add_integration(store, tenant.tenant_id, "Old Owner")
    sync_tenants(store, settings)
    kept = _by_organization(store)["Old Owner"][0]
    assert kept > 0
    assert run("disconnect", tenant.tenant_id, "--keep-data")[0] == 0
    assert _by_organization(store) == {"Old Owner": (kept, 0)}

    add_integration(store, tenant.tenant_id, "New Owner")
    assert get_integration(store, tenant.tenant_id).status == "Never synced"
    code, out, _ = run("tenants", "list")
    assert code == 0
    line = next(x for x in out.splitlines() if tenant.tenant_id in x)
    assert "New Owner" in line and "Never synced" in line and " OK " not in line
    assert _by_organization(store) == {"Old Owner": (kept, 0)}  # nothing moved at connect

    sync_tenants(store, settings)
    # the kept licenses stay with their organization, unsynced; the new connection starts fresh
    assert _by_organization(store) == {"Old Owner": (kept, 0), "New Owner": (kept, kept)}
    assert get_integration(store, tenant.tenant_id).status == "OK"
    code, out, _ = run("export", "--organization", "Old Owner")
    assert code == 0 and len(out.splitlines()) == kept + 1


def test_reconnecting_to_the_same_organization_is_never_synced_until_it_syncs(
    own_simulator: Simulator, store: Store, db_path
) -> None:
    tenant = next(iter(own_simulator.tenants.values()))
    settings = settings_for(own_simulator, db_path)
    add_integration(store, tenant.tenant_id, "Same")
    sync_tenants(store, settings)
    assert get_integration(store, tenant.tenant_id).status == "OK"
    disconnect_tenant(store, tenant.tenant_id, "keep-data")
    again = add_integration(store, tenant.tenant_id, "Same")
    assert again.status == "Never synced" and again.last_sync_at is None
    sync_tenants(store, settings)
    assert get_integration(store, tenant.tenant_id).status == "OK"


def test_delete_data_keeps_its_audit_entries(own_simulator: Simulator, store: Store, db_path) -> None:
    from o365lic.store.audit import audit_log

    tenant = next(iter(own_simulator.tenants.values()))
    add_integration(store, tenant.tenant_id, "Audited", actor="cli:alice")
    sync_tenants(store, settings_for(own_simulator, db_path))
    report = disconnect_tenant(store, tenant.tenant_id, "delete-data", actor="cli:bob")
    log = audit_log(store)
    assert store.scalar("SELECT count(*) FROM integrations WHERE tenant_id = ?", [tenant.tenant_id]) == 0
    mine = log[log["Target"].str.contains(tenant.tenant_id)]
    assert list(zip(mine["Who"], mine["Action"])) == [
        ("cli:bob", "disconnect (delete data)"), ("cli:alice", "connect")]
    assert all("Audited" in t for t in mine["Target"])
    assert f"deleted {report.assets} license assets" in mine["Detail"].iloc[0]


def test_a_failed_disconnect_writes_no_audit_entry(sim: Simulator, store: Store) -> None:
    connect_all(store, sim)
    before = store.scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(IntegrationError):
        disconnect_tenant(store, "00000000-0000-0000-0000-000000000001", "keep-data")
    assert store.scalar("SELECT count(*) FROM audit_log") == before
