"""Schema migrations: a database of the first release, or of the edited version 1, comes up to date whole.

The fixture databases are built by ``tests/fixtures/make_v1_database.py`` (the first release's
schema verbatim, with the data a sync and an admin leave behind).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from o365lic.simulator import Simulator
from o365lic.store import (
    SCHEMA_VERSION,
    Store,
    add_app_user,
    add_discovered_tenants,
    add_group,
    asset_groups,
    list_groups,
    list_integrations,
    set_asset_security,
    set_group_members,
    update_asset,
)
from o365lic.store import schema as schema_module
from o365lic.store.audit import audit_log, record_audit
from o365lic.store.schema import migrate
from o365lic.sync import sync_tenants
from tests.conftest import settings_for
from tests.fixtures.make_v1_database import TABLES, V1Shape, main, make_v1_database

#: What version 1 was edited to hold after it shipped (migration 2 adds them to a first-release database).
ADDED_COLUMNS = {
    ("integrations", "match_state"), ("integrations", "verified_domains"), ("integrations", "discovered"),
    ("contacts", "proxy_addresses"), ("flexible_assets", "notes"), ("staging_users", "proxy_addresses"),
}
ADDED_TABLES = {"app_users", "app_groups", "app_group_members", "flexible_asset_groups", "audit_log"}
E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """table -> column -> type, for every base table and view."""
    found: dict[str, dict[str, str]] = {}
    for table, column, kind in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
    ).fetchall():
        found.setdefault(str(table), {})[str(column)] = str(kind)
    return found


def _contents(con: duckdb.DuckDBPyConnection, columns: dict[str, dict[str, str]]) -> dict[str, list[tuple]]:
    """Every row of the first release's tables, in the first release's columns, sorted."""
    contents = {}
    for table in TABLES:
        if table == "schema_version":
            continue
        names = ", ".join(f'"{c}"' for c in columns[table])
        contents[table] = sorted(con.execute(f"SELECT {names} FROM {table}").fetchall(), key=repr)
    return contents


def _read(path: Path) -> tuple[dict[str, dict[str, str]], dict[str, list[tuple]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = _columns(con)
        return columns, _contents(con, columns)
    finally:
        con.close()


def _versions(path: Path) -> list[int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [int(r[0]) for r in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
    finally:
        con.close()


@pytest.fixture
def first_release(tmp_path: Path) -> Path:
    return make_v1_database(tmp_path / "first.duckdb")


def test_the_fixture_is_the_first_release_shape(first_release: Path) -> None:
    columns, contents = _read(first_release)
    assert _versions(first_release) == [1]
    for table, column in ADDED_COLUMNS:
        assert column not in columns[table], f"{table}.{column} was not in the first release"
    assert not ADDED_TABLES & set(columns)
    # every table of the first release that a sync fills holds rows, so "whole" means something
    assert all(contents[t] for t in TABLES if not t.startswith("staging_") and t != "schema_version")


@pytest.mark.parametrize("shape", ["first", "edited"])
def test_version_1_upgrades_with_its_data_whole(shape: V1Shape, tmp_path: Path) -> None:
    path = make_v1_database(tmp_path / f"{shape}.duckdb", shape=shape)
    columns_before, before = _read(path)
    first_columns = {t: c for t, c in columns_before.items() if t in TABLES}

    store = Store(path)  # opening runs the migrations, as the app and the CLI do
    assert store.scalar("SELECT max(version) FROM schema_version") == SCHEMA_VERSION
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert _contents(con, first_columns) == before  # every row, every original column, unchanged
        after = _columns(con)
    finally:
        con.close()
    for table, column in ADDED_COLUMNS:
        assert column in after[table], f"{table}.{column} missing after the upgrade"
    assert set(after) >= ADDED_TABLES
    # the added columns hold what the edited version 1 would have given the old rows
    assert store.rows("SELECT DISTINCT match_state, discovered FROM integrations") == [("matched", False)]
    assert store.scalar("SELECT count(*) FROM integrations WHERE verified_domains IS NOT NULL") == 0
    assert store.scalar("SELECT count(*) FROM contacts WHERE proxy_addresses IS NOT NULL") == 0
    assert store.scalar("SELECT count(*) FROM flexible_assets WHERE notes IS NOT NULL") == 0
    # the reports' view reads the old assets, with their organization and tenant
    assert sorted(store.rows("SELECT organization, sku_part_number, unused FROM office365_licenses")) == [
        ("Contoso Ltd", "FLOW_FREE", 9997), ("Contoso Ltd", "SPE_E3", 5), ("Contoso Ltd", "VISIOCLIENT", 0)]
    # the sequences go on after the old rows
    with store.transaction() as write:
        new_id = write.execute("INSERT INTO organizations (name) VALUES ('Northwind') RETURNING id").fetchone()
    assert new_id == (3,)


def test_both_shapes_of_version_1_arrive_at_the_schema_of_a_new_database(tmp_path: Path) -> None:
    schemas = []
    for shape in ("first", "edited"):
        path = make_v1_database(tmp_path / f"{shape}.duckdb", shape=shape)
        Store(path).scalar("SELECT 1")  # the first connection migrates
        schemas.append(_read(path)[0])
    Store(tmp_path / "new.duckdb").scalar("SELECT 1")
    schemas.append(_read(tmp_path / "new.duckdb")[0])
    first, edited, new = schemas
    assert first == edited == new  # same tables, same columns, same types (column order aside)


def test_the_upgraded_database_works(first_release: Path) -> None:
    store = Store(first_release)
    # users and groups, and an old asset restricted to a group
    admin = add_app_user(store, "admin@msp.example", "Admin", "Administrator")
    group = add_group(store, "Contoso team")
    set_group_members(store, group, [admin])
    asset_id = store.scalar("SELECT id FROM flexible_assets WHERE sku_id = ?", [E3])
    set_asset_security(store, asset_id, restricted=True, group_ids=[group])
    assert asset_groups(store, asset_id) == (True, [group])
    assert list_groups(store) == [(group, "Contoso team", [admin])]
    # notes on an old synced asset
    update_asset(store, asset_id, notes="renews in March")
    assert store.scalar("SELECT notes FROM flexible_assets WHERE id = ?", [asset_id]) == "renews in March"
    # the audit log
    record_audit(store, "admin@msp.example", "role", "admin@msp.example", "Administrator")
    log = audit_log(store)  # newest first: the entry above, after the store's own for the changes
    assert log["Who"].tolist()[0] == "admin@msp.example"
    assert {"role", "group", "security settings"} <= set(log["Action"])
    # discovery writes verified domains, discovered and the match state beside the old integrations
    added = add_discovered_tenants(store, [{"tenant_id": "4c1e2d3f-0000-4000-8000-0000000000ff",
                                           "name": "Northwind Traders", "domain": "northwind.example"}])
    assert added == [("4c1e2d3f-0000-4000-8000-0000000000ff", "unmatched")]
    states = {i.tenant_id: i.match_state for i in list_integrations(store)}
    assert states["4c1e2d3f-0000-4000-8000-0000000000ff"] == "unmatched"
    assert list(states.values()).count("matched") == 2


def test_a_sync_lands_on_the_upgraded_database(sim: Simulator, tmp_path: Path) -> None:
    tenant = next(t for t in sim.tenants.values() if any(s.sku_id == E3 for s in t.skus))
    path = make_v1_database(tmp_path / "first.duckdb", tenant_id=tenant.tenant_id)
    store = Store(path)
    old_e3 = store.scalar("SELECT id FROM flexible_assets WHERE sku_id = ?", [E3])
    update_asset(store, old_e3, notes="kept across the sync")
    manual = store.rows("SELECT * FROM contacts WHERE integration_id IS NULL")

    results = sync_tenants(store, settings_for(sim, path))

    assert [(r.tenant_id, r.outcome) for r in results] == [(tenant.tenant_id, "ok")]  # the paused one waits
    synced = {str(r[0]): int(r[1]) for r in store.rows(
        "SELECT sku_id, id FROM flexible_assets WHERE integration_id = 1 AND NOT archived")}
    assert set(synced) == {s.sku_id for s in tenant.skus}
    assert synced[E3] == old_e3  # the old asset was updated, not replaced
    assert store.scalar("SELECT notes FROM flexible_assets WHERE id = ?", [old_e3]) == "kept across the sync"
    # the new proxy_addresses column is written for the old integration's contacts
    addresses = {str(r[0]): set(r[1] or ()) for r in store.rows(
        "SELECT user_id, proxy_addresses FROM contacts WHERE integration_id = 1")}
    people = [u for u in tenant.users if u.id in addresses]
    assert len(people) > 10
    for user in people:
        assert addresses[user.id] == {a.lower() for a in ([user.mail] if user.mail else []) + user.aliases}
    assert any(addresses[u.id] for u in people)
    assert store.rows("SELECT * FROM contacts WHERE integration_id IS NULL") == manual


def test_migrating_again_changes_nothing(first_release: Path) -> None:
    Store(first_release).scalar("SELECT 1")
    columns, before = _read(first_release)
    con = duckdb.connect(str(first_release))
    try:
        assert migrate(con) == SCHEMA_VERSION
        assert migrate(con) == SCHEMA_VERSION
        assert _columns(con) == columns
        assert _contents(con, {t: c for t, c in columns.items() if t in TABLES}) == before
    finally:
        con.close()
    assert _versions(first_release) == list(range(1, SCHEMA_VERSION + 1))


def _failing_step(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE organizations ADD COLUMN half_done VARCHAR")
    raise RuntimeError("migration broke halfway")


@pytest.mark.parametrize("step", [_failing_step, "ALTER TABLE organizations ADD COLUMN half_done VARCHAR; "
                                                "SELECT * FROM no_such_table"])
def test_a_failing_migration_changes_nothing(step: str | Callable[..., None], first_release: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    Store(first_release).scalar("SELECT 1")
    columns, before = _read(first_release)
    monkeypatch.setattr(schema_module, "_MIGRATIONS", (*schema_module._MIGRATIONS, step))
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    con = duckdb.connect(str(first_release))
    try:
        with pytest.raises((RuntimeError, duckdb.Error)):
            migrate(con)
        assert _columns(con) == columns  # no half_done column
        assert _contents(con, {t: c for t, c in columns.items() if t in TABLES}) == before
    finally:
        con.close()
    assert _versions(first_release) == list(range(1, SCHEMA_VERSION + 1))


def test_a_callable_migration_runs_in_order(first_release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store(first_release).scalar("SELECT 1")

    def backfill(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("UPDATE flexible_assets SET notes = 'backfilled' WHERE notes IS NULL")

    monkeypatch.setattr(schema_module, "_MIGRATIONS", (*schema_module._MIGRATIONS, backfill))
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    con = duckdb.connect(str(first_release))
    try:
        assert migrate(con) == SCHEMA_VERSION + 1
        assert con.execute("SELECT DISTINCT notes FROM flexible_assets").fetchall() == [("backfilled",)]
        assert migrate(con) == SCHEMA_VERSION + 1  # not run twice
    finally:
        con.close()
    assert _versions(first_release) == list(range(1, SCHEMA_VERSION + 2))


def test_the_fixture_script_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "v1.duckdb"
    assert main([str(target), "--shape", "first"]) == 0
    assert main([str(target)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert _versions(target) == [1]
