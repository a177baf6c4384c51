"""Users become contacts: matched on any alias, then UPN, then first + last name; never twice."""

from __future__ import annotations

import pytest

from o365lic.simulator import Simulator
from o365lic.store import Store
from o365lic.sync import sync_tenants
from tests.conftest import connect_all, settings_for


@pytest.fixture
def synced(own_simulator: Simulator, store: Store, db_path):
    connect_all(store, own_simulator)
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    tenant = next(iter(own_simulator.tenants.values()))
    org = store.scalar("SELECT organization_id FROM integrations WHERE tenant_id = ?", [tenant.tenant_id])
    return own_simulator, settings, tenant, org


def _contacts(store: Store, org: int) -> int:
    return store.scalar("SELECT count(*) FROM contacts WHERE organization_id = ?", [org])


def _add_manual_contact(store: Store, org: int, **fields: str) -> int:
    columns = ", ".join(fields)
    marks = ", ".join("?" * len(fields))
    with store.transaction() as con:
        return con.execute(f"INSERT INTO contacts (organization_id, {columns}) VALUES (?, {marks}) RETURNING id",
                           [org, *fields.values()]).fetchone()[0]


def test_contacts_created_by_the_integration_are_marked(synced, store: Store) -> None:
    _, _, tenant, org = synced
    assert _contacts(store, org) == len(tenant.users)
    assert store.scalar("SELECT bool_and(created_by_integration) FROM contacts WHERE organization_id = ?", [org])


def test_a_new_user_whose_alias_is_a_contacts_mail_takes_that_contact(synced, store: Store) -> None:
    from o365lic.simulator import SimulatedUser

    _sim, settings, tenant, org = synced
    manual = _add_manual_contact(store, org, display_name="Pat Example", mail="Pat.Alias@Example.org")
    tenant.users.append(SimulatedUser(
        id="aaaaaaaa-0000-0000-0000-00000000000a", display_name="Pat Example",
        user_principal_name="pat@" + tenant.domains[0], mail="pat@" + tenant.domains[0],
        aliases=["pat.alias@example.org"]))
    before = _contacts(store, org)
    sync_tenants(store, settings)
    assert _contacts(store, org) == before
    assert store.rows("SELECT user_id, user_principal_name FROM contacts WHERE id = ?", [manual]) == [
        ("aaaaaaaa-0000-0000-0000-00000000000a", "pat@" + tenant.domains[0])]


def test_a_user_recreated_with_a_new_object_id_keeps_its_contact(synced, store: Store) -> None:
    _sim, settings, tenant, org = synced
    user = next(u for u in tenant.users if u.mail)
    contact = store.scalar("SELECT id FROM contacts WHERE user_id = ?", [user.id])
    user.id = "99999999-0000-0000-0000-000000000001"
    before = _contacts(store, org)
    sync_tenants(store, settings)
    assert _contacts(store, org) == before
    assert store.scalar("SELECT user_id FROM contacts WHERE id = ?", [contact]) == user.id


def test_upn_then_name_matching_of_manual_contacts(synced, store: Store) -> None:
    _sim, settings, tenant, org = synced
    by_upn = _add_manual_contact(store, org, user_principal_name="Jo.Upn@" + tenant.domains[0])
    by_name = _add_manual_contact(store, org, given_name="Robin", surname="Nameonly")
    from o365lic.simulator import SimulatedUser

    tenant.users.append(SimulatedUser(id="aaaaaaaa-0000-0000-0000-000000000001", display_name="Jo Upn",
                                      user_principal_name="jo.upn@" + tenant.domains[0]))
    tenant.users.append(SimulatedUser(id="aaaaaaaa-0000-0000-0000-000000000002", display_name="Robin Nameonly",
                                      user_principal_name="rn@" + tenant.domains[0], given_name="robin",
                                      surname="NAMEONLY"))
    before = _contacts(store, org)
    sync_tenants(store, settings)
    assert _contacts(store, org) == before
    assert store.scalar("SELECT user_id FROM contacts WHERE id = ?", [by_upn]) == "aaaaaaaa-0000-0000-0000-000000000001"
    by_name_user = store.scalar("SELECT user_id FROM contacts WHERE id = ?", [by_name])
    assert by_name_user == "aaaaaaaa-0000-0000-0000-000000000002"
    # a re-sync changes nothing
    sync_tenants(store, settings)
    assert _contacts(store, org) == before


def test_a_changed_upn_keeps_one_contact_with_the_new_upn(synced, store: Store) -> None:
    _sim, settings, tenant, org = synced
    user = tenant.users[1]
    user.user_principal_name = "changed." + user.user_principal_name
    before = _contacts(store, org)
    sync_tenants(store, settings)
    assert _contacts(store, org) == before
    assert store.rows("SELECT user_principal_name FROM contacts WHERE user_id = ?", [user.id]) == [
        (user.user_principal_name,)]


def test_two_tenants_of_one_organization_keep_their_own_contacts(
        own_simulator: Simulator, store: Store, db_path) -> None:
    from o365lic.store import add_integration

    tenants = list(own_simulator.tenants.values())
    for tenant in tenants[:2]:
        add_integration(store, tenant.tenant_id, "Merged Org")
    settings = settings_for(own_simulator, db_path)
    sync_tenants(store, settings)
    sync_tenants(store, settings)
    assert store.scalar("SELECT count(*) FROM contacts") == len(tenants[0].users) + len(tenants[1].users)
