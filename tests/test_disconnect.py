"""The two disconnect modes leave exactly what SPEC section 8 says (counted in rows)."""

from __future__ import annotations

import pytest

from o365lic.simulator import Simulator
from o365lic.store import (
    DISCONNECT_LABELS,
    IntegrationError,
    Store,
    add_integration,
    disconnect_tenant,
    list_integrations,
)
from o365lic.sync import sync_tenants
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


def test_a_kept_tenant_can_be_connected_again_without_duplicates(own_simulator: Simulator, store: Store, db_path) -> None:
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
