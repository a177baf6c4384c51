"""The synced type and synced fields are locked; notes and security stay editable."""

from __future__ import annotations

import pytest

from o365lic.simulator import Simulator
from o365lic.store import (
    LockedError,
    Store,
    disconnect_tenant,
    update_asset,
    update_asset_field,
    update_asset_type,
)
from o365lic.sync import sync_tenants
from tests.conftest import copy_synced, settings_for


@pytest.fixture
def synced(sim: Simulator, synced_simulator_db, store: Store, db_path) -> Store:
    copy_synced(synced_simulator_db, db_path)  # connect_all + sync_tenants, once per process
    return store


def test_the_synced_type_cannot_be_edited(synced: Store) -> None:
    type_id = synced.scalar("SELECT id FROM flexible_asset_types")
    before = synced.rows("SELECT * FROM flexible_asset_types")
    with pytest.raises(LockedError, match="locked"):
        update_asset_type(synced, type_id, name="My Licenses")
    field_id = synced.scalar("SELECT min(id) FROM flexible_asset_fields")
    fields = synced.rows("SELECT * FROM flexible_asset_fields ORDER BY id")
    with pytest.raises(LockedError, match="cannot be edited"):
        update_asset_field(synced, field_id, name="Renamed")
    assert synced.rows("SELECT * FROM flexible_asset_types") == before
    assert synced.rows("SELECT * FROM flexible_asset_fields ORDER BY id") == fields


def test_synced_fields_of_a_synced_asset_cannot_be_edited(synced: Store) -> None:
    asset_id, active = synced.rows("SELECT id, active FROM flexible_assets ORDER BY id LIMIT 1")[0]
    with pytest.raises(LockedError, match="synced from Microsoft 365"):
        update_asset(synced, asset_id, active=active + 100, notes="sneaky")
    assert synced.rows("SELECT active, notes FROM flexible_assets WHERE id = ?", [asset_id]) == [(active, None)]
    update_asset(synced, asset_id, notes="renewal handled by Jo")
    assert synced.scalar("SELECT notes FROM flexible_assets WHERE id = ?", [asset_id]) == "renewal handled by Jo"
    with pytest.raises(ValueError, match="unknown asset fields"):
        update_asset(synced, asset_id, colour="red")


def test_after_disconnect_keeping_data_the_fields_are_editable(synced: Store, sim: Simulator) -> None:
    tenant = list(sim.tenants)[0]
    disconnect_tenant(synced, tenant, "keep-data")
    asset_id = synced.scalar("SELECT asset_id FROM office365_licenses WHERE tenant_id = ? LIMIT 1", [tenant])
    update_asset(synced, asset_id, active=1234)
    assert synced.scalar("SELECT active FROM flexible_assets WHERE id = ?", [asset_id]) == 1234


def test_the_free_sku_list_is_editable_and_applies_at_once_and_on_resync(
    synced: Store, sim: Simulator, db_path
) -> None:
    from o365lic import reports
    from o365lic.licenses import DEFAULT_FREE_SKUS
    from o365lic.store import free_sku_list, save_free_skus

    def free_parts() -> dict[str, set[bool]]:
        flags: dict[str, set[bool]] = {}
        for part, free in synced.rows("SELECT sku_part_number, is_free FROM office365_licenses"):
            flags.setdefault(part, set()).add(free)
        return flags

    assert set(free_sku_list(synced)) == set(DEFAULT_FREE_SKUS)
    paid_before = reports.totals(synced)["active"]
    changed = save_free_skus(synced, ["visioclient", " TEAMS_EXPLORATORY "])
    assert changed > 0
    flags = free_parts()
    assert flags["VISIOCLIENT"] == {True} and flags["TEAMS_EXPLORATORY"] == {True}
    if "FLOW_FREE" in flags:  # off the list, but 10,000 units: still free
        assert flags["FLOW_FREE"] == {True}
    visio_active = synced.scalar("SELECT coalesce(sum(active), 0) FROM office365_licenses "
                                 "WHERE sku_part_number = 'VISIOCLIENT'")
    assert reports.totals(synced)["active"] == paid_before - visio_active
    sync_tenants(synced, settings_for(sim, db_path))  # the sync uses the edited list too
    assert free_parts()["VISIOCLIENT"] == {True}
    save_free_skus(synced, None)  # back to the default list
    assert set(free_sku_list(synced)) == set(DEFAULT_FREE_SKUS)
    assert free_parts()["VISIOCLIENT"] == {False}
    assert reports.totals(synced)["active"] == paid_before


def test_a_bad_part_number_changes_nothing(synced: Store) -> None:
    from o365lic.store import free_sku_list, save_free_skus

    before = synced.rows("SELECT id, is_free FROM flexible_assets ORDER BY id")
    with pytest.raises(ValueError, match="not a SKU part number"):
        save_free_skus(synced, ["VISIOCLIENT", "DROP TABLE; --"])
    assert synced.rows("SELECT id, is_free FROM flexible_assets ORDER BY id") == before
    assert "VISIOCLIENT" not in free_sku_list(synced)
