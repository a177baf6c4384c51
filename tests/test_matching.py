"""Tenant discovery and matching: suggestions, the match actions, what syncs."""

from __future__ import annotations

import pytest

from o365lic.matching import normalize_name, suggest_match
from o365lic.simulator import Simulator
from o365lic.store import (
    IntegrationError,
    Store,
    accept_suggested_matches,
    add_discovered_tenants,
    create_organizations_for,
    ensure_organization,
    ignore_tenants,
    list_integrations,
    match_tenants,
    revert_matches,
    suggestions,
)
from o365lic.sync import sync_tenants
from o365lic.tenants import discover_tenants
from tests.conftest import settings_for


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("Contoso, Ltd.", "contoso"), ("The Fabrikam Group GmbH", "fabrikam"), ("Müller & Söhne AG", "muller and sohne"),
     ("  NORTHWIND   Traders Inc ", "northwind traders")],
)
def test_normalize_name(raw: str, normal: str) -> None:
    assert normalize_name(raw) == normal


def test_suggestions_prefer_a_shared_verified_domain() -> None:
    orgs = [(1, "Contoso Ltd."), (2, "Totally Different")]
    found = suggest_match("Contoso", ["contoso.com"], orgs, {2: {"contoso.com"}})
    assert (found.organization_id, found.reason) == (2, "verified domain contoso.com")


def test_suggestions_by_similar_name_and_none_when_far() -> None:
    orgs = [(1, "Contoso Ltd."), (2, "Fabrikam, Inc."), (3, "Woodgrove Bank")]
    assert suggest_match("Contoso Limited", [], orgs).organization_id == 1
    assert suggest_match("Fabrikams", [], orgs).organization_id == 2
    assert suggest_match("Proseware", ["proseware.onmicrosoft.com"], orgs) is None


def _discover(store: Store, sim: Simulator, db_path) -> list[dict[str, str]]:
    found = discover_tenants(settings_for(sim, db_path))
    add_discovered_tenants(store, found)
    return found


def test_discovery_matches_exact_names_and_suggests_the_rest(sim: Simulator, store: Store, db_path) -> None:
    tenants = list(sim.tenants.values())
    with store.transaction() as con:
        ensure_organization(con, tenants[0].display_name.upper())  # exact name, other case
        ensure_organization(con, tenants[1].display_name + " Ltd.")  # similar name
    found = _discover(store, sim, db_path)
    assert {f["tenant_id"] for f in found} == set(sim.tenants)
    state = {i.tenant_id: i.match_state for i in list_integrations(store)}
    assert state[tenants[0].tenant_id] == "matched"
    assert state[tenants[1].tenant_id] == "unmatched"
    suggested = suggestions(store)
    assert suggested[tenants[1].tenant_id].organization == tenants[1].display_name + " Ltd."
    # discovering again adds nothing twice
    assert add_discovered_tenants(store, found) == []
    assert store.scalar("SELECT count(*) FROM integrations") == len(sim.tenants)


def test_unmatched_and_ignored_tenants_are_not_synced(sim: Simulator, store: Store, db_path) -> None:
    tenants = list(sim.tenants.values())
    _discover(store, sim, db_path)
    ignore_tenants(store, [tenants[0].tenant_id])
    create_organizations_for(store, [tenants[1].tenant_id])
    results = sync_tenants(store, settings_for(sim, db_path))
    assert [r.tenant_id for r in results] == [tenants[1].tenant_id]
    assert results[0].outcome == "ok"
    named = sync_tenants(store, settings_for(sim, db_path), tenants=[tenants[0].tenant_id])
    assert named[0].outcome == "skipped" and "ignored" in (named[0].error or "")


def test_every_match_action_in_bulk(sim: Simulator, store: Store, db_path) -> None:
    tenants = list(sim.tenants.values())
    ids = [t.tenant_id for t in tenants]
    with store.transaction() as con:
        ensure_organization(con, "Umbrella Holdings")
        for tenant in tenants[:2]:
            ensure_organization(con, tenant.display_name + " Inc")
    _discover(store, sim, db_path)

    def states() -> dict[str, tuple[str, str | None]]:
        return {i.tenant_id: (i.match_state, i.organization) for i in list_integrations(store)}

    assert accept_suggested_matches(store, ids[:2]) == 2
    assert states()[ids[0]] == ("matched", tenants[0].display_name + " Inc")
    with pytest.raises(IntegrationError, match="no suggested match"):
        accept_suggested_matches(store, [ids[3]])
    assert create_organizations_for(store, ids[2:4]) == 2
    assert states()[ids[2]] == ("matched", tenants[2].display_name)
    assert store.scalar("SELECT created_by_integration FROM organizations WHERE name = ?", [tenants[2].display_name])
    assert match_tenants(store, ids[:2], "umbrella holdings") == 2  # Change Match, in bulk
    assert {states()[t] for t in ids[:2]} == {("matched", "Umbrella Holdings")}
    with pytest.raises(IntegrationError, match="no organization named"):
        match_tenants(store, ids[:1], "Nobody Inc")
    assert revert_matches(store, ids) == len(ids)
    assert {s for s, _ in states().values()} == {"unmatched"}
    assert ignore_tenants(store, ids[1:]) == len(ids) - 1
    assert [i.tenant_id for i in list_integrations(store, "unmatched")] == [ids[0]]
    assert len(list_integrations(store, "ignored")) == len(ids) - 1
    with pytest.raises(IntegrationError, match="at least one tenant"):
        ignore_tenants(store, [])


def test_change_match_moves_the_assets_on_the_next_sync(sim: Simulator, store: Store, db_path) -> None:
    tenant = next(iter(sim.tenants.values()))
    _discover(store, sim, db_path)
    create_organizations_for(store, [tenant.tenant_id])
    settings = settings_for(sim, db_path)
    sync_tenants(store, settings, tenants=[tenant.tenant_id])
    with store.transaction() as con:
        ensure_organization(con, "New Owner")
    match_tenants(store, [tenant.tenant_id], "New Owner")
    sync_tenants(store, settings, tenants=[tenant.tenant_id])
    assert {r[0] for r in store.rows("SELECT DISTINCT organization FROM office365_licenses")} == {"New Owner"}


def test_discovery_does_not_bring_back_a_disconnected_tenant(sim: Simulator, store: Store, db_path) -> None:
    from o365lic.store import add_integration, disconnect_tenant

    tenant = next(iter(sim.tenants.values()))
    add_integration(store, tenant.tenant_id, tenant.display_name)
    sync_tenants(store, settings_for(sim, db_path))
    assets = store.scalar("SELECT count(*) FROM flexible_assets")
    disconnect_tenant(store, tenant.tenant_id, "keep-data")
    _discover(store, sim, db_path)
    assert store.scalar("SELECT count(*) FROM integrations WHERE tenant_id = ?", [tenant.tenant_id]) == 1
    sync_tenants(store, settings_for(sim, db_path))
    assert store.scalar("SELECT count(*) FROM flexible_assets WHERE integration_id = "
                        "(SELECT id FROM integrations WHERE tenant_id = ?)", [tenant.tenant_id]) == assets


def test_create_organization_in_bulk_is_all_or_nothing(sim: Simulator, store: Store, db_path) -> None:
    ids = [f["tenant_id"] for f in _discover(store, sim, db_path)]
    with pytest.raises(IntegrationError, match="not connected"):
        create_organizations_for(store, [ids[0], "00000000-0000-0000-0000-000000000001"])
    assert {i.match_state for i in list_integrations(store)} == {"unmatched"}
    assert store.scalar("SELECT count(*) FROM organizations") == 0


def _log(store: Store) -> list[tuple[str, str, str, str]]:
    """The audit log, oldest first: (who, action, target, detail)."""
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in store.rows(
        "SELECT actor, action, target, detail FROM audit_log ORDER BY id")]


def test_every_match_action_is_in_the_audit_log(sim: Simulator, store: Store, db_path) -> None:
    tenants = list(sim.tenants.values())
    ids = [t.tenant_id for t in tenants]
    with store.transaction() as con:
        ensure_organization(con, "Umbrella Holdings")
        ensure_organization(con, tenants[0].display_name + " Inc")
    _discover(store, sim, db_path)
    start = len(_log(store))
    accept_suggested_matches(store, ids[:1], actor="cli:ann")
    create_organizations_for(store, ids[1:2], actor="cli:ann")
    match_tenants(store, ids[2:3], "Umbrella Holdings", actor="web:bob@msp.example")
    ignore_tenants(store, ids[3:4], actor="cli:ann")
    revert_matches(store, ids[2:3], actor="cli:ann")
    entries = _log(store)[start:]
    assert [(who, action, detail) for who, action, _, detail in entries] == [
        ("cli:ann", "match", f"matched to {tenants[0].display_name} Inc"),
        ("cli:ann", "match", f"matched to {tenants[1].display_name}"),
        ("web:bob@msp.example", "match", "matched to Umbrella Holdings"),
        ("cli:ann", "match", "ignored: never synced"),
        ("cli:ann", "match", "match reverted: unmatched"),
    ]
    for (_, _, target, _), tenant_id in zip(entries, [ids[0], ids[1], ids[2], ids[3], ids[2]]):
        assert target.startswith(f"tenant {tenant_id} (")
    assert entries[2][2] == f"tenant {ids[2]} (Umbrella Holdings)"
    # a refused action logs nothing
    with pytest.raises(IntegrationError):
        match_tenants(store, ids[:1], "Nobody Inc", actor="cli:ann")
    assert len(_log(store)) == start + 5


def test_control_characters_are_removed_from_names_and_a_blank_name_refused(store: Store) -> None:
    from o365lic.store import add_integration

    added = add_discovered_tenants(store, [
        {"tenant_id": "11111111-1111-1111-1111-111111111111", "name": "Evil\x1b[31m Corp\x00\x07",
         "domain": "EVIL\x1b[0m.example"},
    ])
    assert added == [("11111111-1111-1111-1111-111111111111", "unmatched")]
    assert store.rows("SELECT tenant_name, default_domain FROM integrations") == [("Evil Corp", "evil.example")]
    create_organizations_for(store, ["11111111-1111-1111-1111-111111111111"])
    assert store.rows("SELECT name FROM organizations") == [("Evil Corp",)]
    integration = add_integration(store, "22222222-2222-2222-2222-222222222222", "\x1b]0;pwned\x07Acme\r\nLtd",
                                  tenant_name="T\x00enant", default_domain="acme.example")
    assert (integration.organization, integration.tenant_name) == ("Acme Ltd", "Tenant")
    for bad in ("\x1b[2J\x00", "   ", "\x00\x01\x02"):
        with pytest.raises(IntegrationError, match="name"):
            add_integration(store, "33333333-3333-3333-3333-333333333333", bad)
        with pytest.raises(IntegrationError, match="name"):
            match_tenants(store, ["22222222-2222-2222-2222-222222222222"], bad)
    assert store.scalar("SELECT count(*) FROM integrations") == 2
    assert store.scalar("SELECT count(*) FROM organizations") == 2
