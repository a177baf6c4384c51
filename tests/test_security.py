"""Security settings: a restricted asset is absent for outsiders everywhere, present for members."""

from __future__ import annotations

import csv
import io

import pytest

from o365lic import reports
from o365lic.export import licenses_csv
from o365lic.permissions import can
from o365lic.simulator import Simulator
from o365lic.store import (
    ALL_USERS_LABEL,
    LOCAL_ADMINISTRATOR,
    SecurityError,
    Store,
    add_app_user,
    add_group,
    asset_groups,
    set_asset_security,
    set_group_members,
    viewer_for,
)
from o365lic.sync import sync_tenants
from tests.conftest import copy_synced, settings_for


@pytest.fixture
def restricted(sim: Simulator, synced_simulator_db, store: Store, db_path):
    """One synced, paid license asset restricted to the group 'Finance'."""
    copy_synced(synced_simulator_db, db_path)  # connect_all + sync_tenants, once per process
    asset_id, org, active = store.rows(
        "SELECT asset_id, organization, active FROM office365_licenses WHERE NOT is_free AND active > 0 "
        "ORDER BY asset_id LIMIT 1")[0]
    finance = add_group(store, "Finance")
    add_app_user(store, "admin@msp.example", "Admin", "Administrator")
    member = add_app_user(store, "member@msp.example", "Member", "Read-only")
    add_app_user(store, "outsider@msp.example", "Outsider", "Editor")
    set_group_members(store, finance, [member])
    set_asset_security(store, asset_id, restricted=True, group_ids=[finance])
    return asset_id, org, active


def test_first_sign_in_is_administrator_then_read_only(store: Store) -> None:
    first = viewer_for(store, "Boss@MSP.example", "Boss")
    second = viewer_for(store, "newbie@msp.example")
    assert (first.role, second.role) == ("Administrator", "Read-only")
    assert viewer_for(store, "boss@msp.example").user_id == first.user_id


def test_restricted_asset_is_absent_for_outsiders_and_present_for_members(restricted, store: Store) -> None:
    asset_id, org, active = restricted
    outsider = viewer_for(store, "outsider@msp.example")
    member = viewer_for(store, "member@msp.example")
    for viewer, present in ((outsider, False), (member, True), (LOCAL_ADMINISTRATOR, True)):
        table = reports.licenses(store, viewer=viewer)
        assert (asset_id in set(table["asset_id"])) is present
        org_table = reports.licenses(store, organizations=[org], viewer=viewer)
        assert (asset_id in set(org_table["asset_id"])) is present
        rows = list(csv.reader(io.StringIO(licenses_csv(table))))
        assert len(rows) - 1 == len(table)
    everyone = reports.totals(store, viewer=LOCAL_ADMINISTRATOR)
    hidden = reports.totals(store, viewer=outsider)
    assert everyone["active"] - hidden["active"] == active
    assert reports.totals(store, viewer=member)["active"] == everyone["active"]
    by_org_all = reports.organization_summary(store, viewer=LOCAL_ADMINISTRATOR).set_index("organization")
    by_org_out = reports.organization_summary(store, viewer=outsider).set_index("organization")
    assert by_org_all.loc[org, "active"] - by_org_out.loc[org, "active"] == active


def test_security_survives_a_resync(restricted, sim: Simulator, store: Store, db_path) -> None:
    asset_id, _, _ = restricted
    sync_tenants(store, settings_for(sim, db_path))
    restricted_flag, groups = asset_groups(store, asset_id)
    assert restricted_flag and len(groups) == 1
    assert asset_id not in set(reports.licenses(store, viewer=viewer_for(store, "outsider@msp.example"))["asset_id"])


def test_back_to_all_users(restricted, store: Store) -> None:
    asset_id, _, _ = restricted
    set_asset_security(store, asset_id, restricted=False)
    assert asset_groups(store, asset_id) == (False, [])
    assert asset_id in set(reports.licenses(store, viewer=viewer_for(store, "outsider@msp.example"))["asset_id"])


def test_bad_security_settings_are_refused(restricted, store: Store) -> None:
    asset_id, _, _ = restricted
    with pytest.raises(SecurityError, match="at least one group"):
        set_asset_security(store, asset_id, restricted=True, group_ids=[])
    with pytest.raises(SecurityError, match="no group"):
        set_asset_security(store, asset_id, restricted=True, group_ids=[999])
    with pytest.raises(SecurityError, match="unknown role"):
        add_app_user(store, "x@msp.example", "X", "Overlord")
    assert asset_groups(store, asset_id)[0]


def test_roles_allow_what_they_should() -> None:
    from o365lic.store import Viewer

    reader = Viewer("r@x", "R", "Read-only")
    manager = Viewer("m@x", "M", "Manager")
    assert can(LOCAL_ADMINISTRATOR, "manage_users")
    assert can(manager, "manage_integrations") and not can(manager, "manage_users")
    assert can(reader, "view") and not can(reader, "sync") and not can(reader, "edit_assets")


def test_without_an_administrator_the_next_sign_in_becomes_one(store: Store) -> None:
    add_app_user(store, "added.early@msp.example", "Early", "Read-only")
    assert viewer_for(store, "first.sign.in@msp.example").role == "Administrator"
    assert viewer_for(store, "added.early@msp.example").role == "Read-only"


def test_the_last_administrator_cannot_be_demoted(store: Store) -> None:
    boss = viewer_for(store, "boss@msp.example")
    with pytest.raises(SecurityError, match="last Administrator"):
        add_app_user(store, boss.email, None, "Editor")
    add_app_user(store, "deputy@msp.example", "Deputy", "Administrator")
    add_app_user(store, boss.email, None, "Editor")
    assert viewer_for(store, boss.email).role == "Editor"


def test_roles_groups_and_security_settings_are_in_the_audit_log(restricted, store: Store) -> None:
    asset_id, org, _ = restricted
    start = store.scalar("SELECT max(id) FROM audit_log")
    user = add_app_user(store, "carol@msp.example", "Carol", "Editor", actor="web:admin@msp.example")
    add_app_user(store, "carol@msp.example", None, "Manager", actor="web:admin@msp.example")
    add_app_user(store, "carol@msp.example", None, "Manager", actor="web:admin@msp.example")  # no change
    group = add_group(store, "Aud\x1b[1mitors", actor="cli:ann")
    set_group_members(store, group, [user], actor="cli:ann")
    set_asset_security(store, asset_id, restricted=True, group_ids=[group], actor="cli:ann")
    set_asset_security(store, asset_id, restricted=False, actor="cli:ann")
    entries = store.rows("SELECT actor, action, target, detail FROM audit_log WHERE id > ? ORDER BY id", [start])
    name = store.scalar("SELECT name FROM flexible_assets WHERE id = ?", [asset_id])
    assert entries == [
        ("web:admin@msp.example", "role", "carol@msp.example", "added as Editor"),
        ("web:admin@msp.example", "role", "carol@msp.example", "role Editor → Manager"),
        ("cli:ann", "group", "Auditors", "created"),
        ("cli:ann", "group", "Auditors", "members: carol@msp.example"),
        ("cli:ann", "security settings", f"license {name} of {org}", "restricted to Auditors"),
        ("cli:ann", "security settings", f"license {name} of {org}", ALL_USERS_LABEL),
    ]
    with pytest.raises(SecurityError):
        set_asset_security(store, asset_id, restricted=True, group_ids=[], actor="cli:ann")
    assert store.scalar("SELECT count(*) FROM audit_log WHERE id > ?", [start]) == len(entries)
