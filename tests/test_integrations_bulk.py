"""Connecting many tenants at once (``add_integrations``, what ``tenants import`` uses): each row
is refused or connected exactly as it would be on its own, the organizations are matched by one
rule, and the audit log says the same words as a single connect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from o365lic.simulator import Simulator
from o365lic.store import (
    Integration,
    IntegrationError,
    Store,
    add_discovered_tenants,
    add_integration,
    disconnect_tenant,
    list_integrations,
)
from o365lic.store.integrations import NewIntegration, add_integrations
from tests.conftest import copy_synced

NEW = [f"0000000{n}-0000-4000-8000-00000000000{n}" for n in range(1, 8)]
DISCOVERED = "0000000d-0000-4000-8000-00000000000d"


def connects(store: Store) -> list[tuple[str, str]]:
    """The (target, detail) of every connect entry of the audit log, oldest first."""
    return [(str(r[0]), str(r[1])) for r in store.rows(
        "SELECT target, detail FROM audit_log WHERE action = 'connect' ORDER BY id")]


def outcome(results: list[Integration | IntegrationError]) -> list[str]:
    return [f"refused: {r}" if isinstance(r, IntegrationError) else f"{r.tenant_id} -> {r.organization}"
            for r in results]


def test_the_same_tenant_twice_in_one_batch_connects_the_first_row_and_refuses_the_second(store: Store) -> None:
    results = add_integrations(store, [NewIntegration(NEW[0], "First Choice"), NewIntegration(NEW[1], "Other"),
                                       NewIntegration(NEW[0].upper(), "Second Choice")])

    assert outcome(results) == [f"{NEW[0]} -> First Choice", f"{NEW[1]} -> Other",
                                f"refused: tenant {NEW[0]} is already connected (matched to First Choice)"]
    assert {i.tenant_id: i.organization for i in list_integrations(store)} == {
        NEW[0]: "First Choice", NEW[1]: "Other"}
    # the refused row changed nothing: no organization "Second Choice", no audit entry
    assert {r[0] for r in store.rows("SELECT name FROM organizations")} == {"First Choice", "Other"}
    assert [target for target, _ in connects(store)] == [f"tenant {NEW[0]} (First Choice)",
                                                         f"tenant {NEW[1]} (Other)"]


def test_an_already_connected_tenant_is_refused_and_the_rest_of_the_batch_connects(store: Store) -> None:
    add_integration(store, NEW[0], "Contoso")
    results = add_integrations(store, [NewIntegration(NEW[1], "Fabrikam"), NewIntegration(NEW[0], "Elsewhere"),
                                       NewIntegration(NEW[2], "contoso")])

    assert outcome(results) == [f"{NEW[1]} -> Fabrikam",
                                f"refused: tenant {NEW[0]} is already connected (matched to Contoso)",
                                f"{NEW[2]} -> Contoso"]
    assert {r[0] for r in store.rows("SELECT name FROM organizations")} == {"Contoso", "Fabrikam"}
    with_error = add_integrations(store, [NewIntegration(NEW[3], "\x1b[2J\x07")])
    assert outcome(with_error) == ["refused: an organization name must have printable characters, "
                                   "not only control characters"]
    assert len(list_integrations(store)) == 3


def test_organizations_are_matched_case_insensitively_across_the_rows_of_one_batch(store: Store) -> None:
    add_integration(store, NEW[0], "Northwind Traders")
    results = add_integrations(store, [
        NewIntegration(NEW[1], "Contoso"), NewIntegration(NEW[2], "contoso"), NewIntegration(NEW[3], " CONTOSO\t"),
        NewIntegration(NEW[4], "northwind traders"), NewIntegration(NEW[5], "Con\x07toso"),
    ])

    assert [r.organization for r in results if isinstance(r, Integration)] == [
        "Contoso", "Contoso", "Contoso", "Northwind Traders", "Contoso"]
    assert len({r.organization_id for r in results if isinstance(r, Integration)}) == 2
    assert store.rows("SELECT name, created_by_integration FROM organizations ORDER BY id") == [
        ("Northwind Traders", False), ("Contoso", False)]
    assert [detail for _, detail in connects(store)] == [
        "matched to Northwind Traders (organization created)", "matched to Contoso (organization created)",
        "matched to Contoso", "matched to Contoso", "matched to Northwind Traders", "matched to Contoso"]


def test_a_discovered_tenant_is_matched_in_place(store: Store) -> None:
    add_discovered_tenants(store, [{"tenant_id": DISCOVERED, "name": "Discovered Ltd", "domain": "disc.example"}])
    (before,) = list_integrations(store)
    assert before.match_state == "unmatched"

    results = add_integrations(store, [NewIntegration(NEW[0], "Fabrikam"),
                                       NewIntegration(DISCOVERED, "Fabrikam", sync_interval_minutes=15),
                                       NewIntegration(DISCOVERED, "Another")])

    assert outcome(results)[2] == f"refused: tenant {DISCOVERED} is already connected (matched to Fabrikam)"
    matched = next(i for i in list_integrations(store) if i.tenant_id == DISCOVERED)
    assert (matched.id, matched.match_state, matched.organization) == (before.id, "matched", "Fabrikam")
    assert (matched.tenant_name, matched.default_domain, matched.sync_interval_minutes) == (
        "Discovered Ltd", "disc.example", 15)  # what discovery knew stays; the interval asked for is set
    assert store.scalar("SELECT count(*) FROM integrations WHERE tenant_id = ?", [DISCOVERED]) == 1
    assert connects(store)[-1] == (f"tenant {DISCOVERED} (Fabrikam)", "matched to Fabrikam")


def test_a_tenant_disconnected_earlier_takes_over_its_kept_licenses_only_in_the_same_organization(
    simulator: Simulator, synced_simulator_db: Path, db_path: Path,
) -> None:
    store = copy_synced(synced_simulator_db, db_path)
    (same, other, *_) = sorted(simulator.tenants.values(), key=lambda t: t.tenant_id)
    kept = {t.tenant_id: store.scalar("SELECT count(*) FROM flexible_assets a JOIN integrations i "
                                      "ON i.id = a.integration_id WHERE i.tenant_id = ?", [t.tenant_id])
            for t in (same, other)}
    assert all(kept.values())
    for tenant in (same, other):
        disconnect_tenant(store, tenant.tenant_id, "keep-data")

    results = add_integrations(store, [NewIntegration(same.tenant_id, same.display_name.upper()),
                                       NewIntegration(other.tenant_id, "Somebody Else")])

    assert all(isinstance(r, Integration) and r.status == "Never synced" for r in results)
    assert connects(store)[-2:] == [
        (f"tenant {same.tenant_id} ({same.display_name})",
         f"matched to {same.display_name}; {kept[same.tenant_id]} kept licenses of {same.display_name} taken over"),
        (f"tenant {other.tenant_id} (Somebody Else)", "matched to Somebody Else (organization created)"),
    ]
    owned = {i.tenant_id: store.scalar("SELECT count(*) FROM flexible_assets WHERE integration_id = ?", [i.id])
             for i in results if isinstance(i, Integration)}
    assert owned == {same.tenant_id: kept[same.tenant_id], other.tenant_id: 0}


def _batch(simulator: Simulator) -> list[NewIntegration]:
    """Rows of every kind: new, same organization in another case, refused, discovered, reconnected."""
    tenants = sorted(simulator.tenants.values(), key=lambda t: t.tenant_id)
    return [
        NewIntegration(NEW[0], "Contoso", tenant_name="\x1b[31mContoso Main", default_domain="Contoso.Example.COM"),
        NewIntegration(NEW[1], "contoso"),
        NewIntegration(NEW[0], "Elsewhere"),  # the same tenant again
        NewIntegration(tenants[2].tenant_id, "Anywhere"),  # connected (and synced) already
        NewIntegration(tenants[0].tenant_id, tenants[0].display_name.lower()),  # reconnected, takes its data back
        NewIntegration(tenants[1].tenant_id, "New Owner"),  # reconnected elsewhere: its data stays
        NewIntegration(DISCOVERED, "  Fabrikam\tGroup "),
        NewIntegration(NEW[2], "\x07"),  # nothing printable
        NewIntegration(NEW[3], "Slow", sync_interval_minutes=0),  # no such interval
        NewIntegration(NEW[4], "fabrikam group", sync_interval_minutes=1440),
    ]


def _prepared(simulator: Simulator, synced_simulator_db: Path, path: Path) -> Store:
    store = copy_synced(synced_simulator_db, path)
    tenants = sorted(simulator.tenants.values(), key=lambda t: t.tenant_id)
    for tenant in tenants[:2]:
        disconnect_tenant(store, tenant.tenant_id, "keep-data")
    add_discovered_tenants(store, [{"tenant_id": DISCOVERED, "name": "Zzyzx Holdings", "domain": "zzyzx.example"}])
    return store


def _everything(store: Store) -> dict[str, Any]:
    """What a user can see of the connects: tenants, organizations, ownership of data, the log."""
    return {
        "integrations": list_integrations(store),
        "organizations": store.rows("SELECT id, name, created_by_integration FROM organizations ORDER BY id"),
        "assets": store.rows("SELECT integration_id, organization_id, count(*) FROM flexible_assets GROUP BY ALL "
                             "ORDER BY ALL"),
        "subscriptions": store.rows("SELECT integration_id, count(*) FROM subscriptions GROUP BY ALL ORDER BY ALL"),
        "snapshots": store.rows("SELECT integration_id, count(*) FROM license_snapshots GROUP BY ALL ORDER BY ALL"),
        "contacts": store.rows("SELECT integration_id, count(*) FROM contacts GROUP BY ALL ORDER BY ALL"),
        "audit": store.rows("SELECT actor, action, target, detail FROM audit_log ORDER BY id"),
    }


def test_a_batch_leaves_what_connecting_its_rows_one_at_a_time_leaves(
    simulator: Simulator, synced_simulator_db: Path, tmp_path: Path,
) -> None:
    rows = _batch(simulator)
    bulk = _prepared(simulator, synced_simulator_db, tmp_path / "bulk.duckdb")
    one_by_one = _prepared(simulator, synced_simulator_db, tmp_path / "one.duckdb")

    together = add_integrations(bulk, rows, actor="cli:alice")
    alone: list[Integration | IntegrationError] = []
    for row in rows:
        try:
            alone.append(add_integration(one_by_one, row.tenant_id, row.organization, tenant_name=row.tenant_name,
                                         default_domain=row.default_domain,
                                         sync_interval_minutes=row.sync_interval_minutes, actor="cli:alice"))
        except IntegrationError as exc:
            alone.append(exc)

    assert outcome(together) == outcome(alone)
    assert [r for r in together if isinstance(r, Integration)] == [r for r in alone if isinstance(r, Integration)]
    assert [n for n, r in enumerate(together) if isinstance(r, IntegrationError)] == [2, 3, 7, 8]
    assert {i.tenant_id: i.match_state for i in list_integrations(bulk)}[DISCOVERED] == "matched"
    assert any("kept licenses" in str(r[3]) for r in _everything(bulk)["audit"])
    assert _everything(bulk) == _everything(one_by_one)
    assert len([r for r in _everything(bulk)["audit"] if r[:2] == ("cli:alice", "connect")]) == 6
