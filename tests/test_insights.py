"""Reclaimable licenses, overlapping licenses, per-SKU totals and card totals, on a real sync
of the demo data (simulator over HTTPS -> DuckDB) and on tenants built to order."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from o365lic import insights, reports
from o365lic.card_totals import HEALTHY_FROM, card_totals, license_kind, utilisation_class
from o365lic.demo import DEMO_SEED, DEMO_TENANTS
from o365lic.overlaps import OVERLAPS, overlap_for
from o365lic.simulator import (
    SKU_CATALOG,
    SimulatedSku,
    SimulatedTenant,
    SimulatedUser,
    Simulator,
    start_simulator,
)
from o365lic.store import Store, Viewer, add_group, set_asset_security
from tests.feature_tenants import running, sync_into

STANDARDPACK = "18181a46-0d4e-45cd-891e-60aabd171b4e"  # Office 365 E1: not in the simulator's catalog


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Simulator]]:
    """The demo tenants (the data of demo mode), synced once into a database of their own."""
    db_path = tmp_path_factory.mktemp("demo") / "o365lic.duckdb"
    with start_simulator(tenants=DEMO_TENANTS, seed=DEMO_SEED) as sim:
        store = Store(db_path)
        sync_into(store, sim, db_path)
        yield store, sim


def _paid_parts(store: Store) -> dict[tuple[str, str], str]:
    """(organization, sku_id) -> part number of every paid license."""
    return {(r[0], r[1]): r[2] for r in store.rows(
        "SELECT organization, sku_id, sku_part_number FROM office365_licenses WHERE NOT is_free")}


def test_reclaimable_lists_exactly_the_paid_licenses_of_disabled_accounts(demo: tuple[Store, Simulator]) -> None:
    store, sim = demo
    paid = _paid_parts(store)
    expected = {(t.display_name, u.user_principal_name, paid[(t.display_name, sku)])
                for t in sim.tenants.values() for u in t.users if not u.account_enabled
                for sku in u.sku_ids if (t.display_name, sku) in paid}
    table = insights.reclaimable_licenses(store)
    got = [(r.organization, r.user_principal_name, r.sku_part_number) for r in table.itertuples()]
    assert sorted(got) == sorted(expected) and len(got) == len(expected)
    assert 15 <= len(got) <= 25  # "about 20 assignments in the demo data"
    assert table["account_disabled"].all()
    disabled = {u.user_principal_name for t in sim.tenants.values() for u in t.users if not u.account_enabled}
    assert set(table["user_principal_name"]) <= disabled
    one = sorted(expected)[0][0]
    mine = insights.reclaimable_licenses(store, organizations=[one])
    assert set(mine["organization"]) == {one}
    assert len(mine) == sum(1 for e in expected if e[0] == one)



def test_the_readers_take_a_license_filter_like_the_other_readers(demo: tuple[Store, Simulator]) -> None:
    store, _ = demo
    one = sorted(insights.reclaimable_licenses(store)["organization"])[0]
    chosen = reports.LicenseFilter.of([one], "ignored by the lists of users")
    for read in (insights.reclaimable_licenses, insights.overlapping_licenses):
        by_filter = read(store, chosen)
        pd.testing.assert_frame_equal(by_filter, read(store, organizations=[one]))
        assert set(by_filter["organization"]) <= {one}
        with pytest.raises(TypeError, match="not both"):
            read(store, chosen, organizations=[one])
    assert not insights.reclaimable_licenses(store, chosen).empty
    paid = reports.LicenseFilter.of([one])
    pd.testing.assert_frame_equal(insights.sku_totals(store, paid), insights.sku_totals(store, organizations=[one]))
    assert set(insights.sku_totals(store, paid)["kind"]) == {"paid"}

def _holders(sim: Simulator, store: Store) -> set[tuple[str, str, str, str]]:
    """(organization, UPN, keep, extra) for every user holding both paid SKUs of a pair."""
    paid = _paid_parts(store)
    found = set()
    for t in sim.tenants.values():
        for u in t.users:
            parts = {paid[(t.display_name, s)] for s in u.sku_ids if (t.display_name, s) in paid}
            found |= {(t.display_name, u.user_principal_name, o.keep, o.extra)
                      for o in OVERLAPS if o.keep in parts and o.extra in parts}
    return found


def test_overlaps_list_exactly_the_users_holding_an_overlapping_pair(demo: tuple[Store, Simulator]) -> None:
    store, sim = demo
    expected = _holders(sim, store)
    assert expected  # the demo data has some: Microsoft 365 E3 with Enterprise Mobility + Security E3
    table = insights.overlapping_licenses(store)
    got = {(r.organization, r.user_principal_name, r.sku_part_number, r.overlapping_sku) for r in table.itertuples()}
    assert got == expected and len(table) == len(expected)
    assert all(r.reason == overlap_for(r.sku_part_number, r.overlapping_sku).reason for r in table.itertuples())


def _user(tenant_id: str, n: int, domain: str, skus: list[str], enabled: bool = True) -> SimulatedUser:
    return SimulatedUser(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}:{n}")), display_name=f"User {n}",
                         user_principal_name=f"user{n}@{domain}", account_enabled=enabled, sku_ids=skus)


def _made_to_order() -> SimulatedTenant:
    """A tenant whose users hold the overlapping pairs the issue names, and some that are fine."""
    tenant_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, "insights-test:Café Müller GmbH"))
    domain = "cafemuller.onmicrosoft.com"
    ids = {part: SKU_CATALOG[part].sku_id for part in
           ("SPE_E3", "EXCHANGESTANDARD", "SPB", "O365_BUSINESS_PREMIUM", "ENTERPRISEPACK", "VISIOCLIENT",
            "TEAMS_EXPLORATORY")}
    ids["STANDARDPACK"] = STANDARDPACK
    skus = [SimulatedSku(sku_id, part, "Enabled", enabled=10) for part, sku_id in ids.items()]
    users = [
        _user(tenant_id, 0, domain, [ids["SPE_E3"], ids["EXCHANGESTANDARD"]]),
        _user(tenant_id, 1, domain, [ids["SPB"], ids["O365_BUSINESS_PREMIUM"]]),
        _user(tenant_id, 2, domain, [ids["ENTERPRISEPACK"], ids["STANDARDPACK"]]),
        _user(tenant_id, 3, domain, [ids["SPE_E3"], ids["TEAMS_EXPLORATORY"]]),  # free: no overlap
        _user(tenant_id, 4, domain, [ids["SPE_E3"], ids["VISIOCLIENT"]]),  # different plans
        _user(tenant_id, 5, domain, [ids["SPB"], ids["TEAMS_EXPLORATORY"]], enabled=False),
    ]
    return SimulatedTenant(tenant_id, "Café Müller GmbH", [domain], skus, users, [])


@pytest.fixture
def ordered(store: Store, db_path: Path) -> Store:
    with running([_made_to_order()]) as sim:
        sync_into(store, sim, db_path)
    return store


def test_the_pairs_the_issue_names_are_overlaps_and_others_are_not(ordered: Store) -> None:
    table = insights.overlapping_licenses(ordered)
    got = {(r.user_principal_name.split("@")[0], r.sku_part_number, r.overlapping_sku) for r in table.itertuples()}
    assert got == {("user0", "SPE_E3", "EXCHANGESTANDARD"), ("user1", "SPB", "O365_BUSINESS_PREMIUM"),
                   ("user2", "ENTERPRISEPACK", "STANDARDPACK")}
    row = table[table["sku_part_number"] == "SPB"].iloc[0]
    assert row["license_name"] == "Microsoft 365 Business Premium"
    assert row["overlapping_license"] == "Microsoft 365 Business Standard"
    assert "Business Standard" in row["reason"]
    assert set(table["organization"]) == {"Café Müller GmbH"}
    reclaim = insights.reclaimable_licenses(ordered)
    assert [(r.user_principal_name.split("@")[0], r.sku_part_number) for r in reclaim.itertuples()] == \
        [("user5", "SPB")]  # the free Teams Exploratory is nothing to reclaim
    with_free = insights.reclaimable_licenses(ordered, include_free=True)
    assert set(with_free["sku_part_number"]) == {"SPB", "TEAMS_EXPLORATORY"}


def test_a_license_the_viewer_may_not_see_is_in_neither_list(ordered: Store) -> None:
    group = add_group(ordered, "Finance")
    for part in ("EXCHANGESTANDARD", "SPB"):
        asset = ordered.scalar("SELECT asset_id FROM office365_licenses WHERE sku_part_number = ?", [part])
        set_asset_security(ordered, asset, restricted=True, group_ids=[group])
    outsider = Viewer(email="reader@msp.example", display_name="Reader", role="Read-only")
    overlaps = insights.overlapping_licenses(ordered, viewer=outsider)
    assert set(overlaps["sku_part_number"]) == {"ENTERPRISEPACK"}
    assert insights.reclaimable_licenses(ordered, viewer=outsider).empty
    member = Viewer(email="f@msp.example", display_name="F", role="Read-only", group_ids=frozenset({group}))
    assert len(insights.overlapping_licenses(ordered, viewer=member)) == 3
    assert len(insights.reclaimable_licenses(ordered, viewer=member)) == 1


@pytest.mark.parametrize("include_free", [False, True])
def test_per_sku_totals_are_the_sums_of_the_per_organization_rows(
        demo: tuple[Store, Simulator], include_free: bool) -> None:
    store, _ = demo
    rows = reports.licenses(store, include_free=include_free)
    totals = insights.sku_totals(store, include_free=include_free)
    rows = rows.assign(kind=[license_kind(f, r) for f, r in zip(rows["is_free"], rows["free_reason"])])
    assert (totals["kind"] == "paid").any() and (set(totals["kind"]) == {"paid"}) != include_free
    assert totals["kind"].tolist() == sorted(totals["kind"], key=["paid", "trial", "free"].index)
    for total in totals.itertuples():
        mine = rows[(rows["sku_part_number"] == total.sku_part_number) & (rows["kind"] == total.kind)]
        assert not mine.empty
        assert total.active == mine["active"].sum() and total.consumed == mine["consumed"].sum()
        assert total.unused == mine["unused"].sum() and total.over_assigned == mine["over_assigned"].sum()
        assert total.organizations == mine["organization"].nunique() and total.licenses == len(mine)
    assert totals["active"].sum() == rows["active"].sum()
    e3 = totals[totals["sku_part_number"] == "SPE_E3"].iloc[0]
    assert e3["license_name"] == "Microsoft 365 E3" and e3["organizations"] == 2


@pytest.mark.parametrize("include_free", [False, True])
def test_card_totals_add_up_with_free_and_trial_counted_apart(
        demo: tuple[Store, Simulator], include_free: bool) -> None:
    store, _ = demo
    table = reports.licenses(store, include_free=include_free)
    cards = card_totals(table)
    for part in (cards.paid, cards.free, cards.trial):
        assert part.active - part.consumed == part.unused - part.over_assigned
    assert cards.over_assigned > 0  # the demo data has over-assigned licenses: the equation matters
    paid = table[~table["is_free"]]
    assert (cards.active, cards.consumed) == (paid["active"].sum(), paid["consumed"].sum())
    assert (cards.unused, cards.over_assigned) == (paid["unused"].sum(), paid["over_assigned"].sum())
    assert cards.active < 10_000  # a 1,000,000-unit free SKU never reaches the paid totals
    if include_free:
        assert cards.free.active >= 1_000_000 and cards.free.licenses > 0
        trial = table[table["free_reason"] == "trial"]
        assert not trial.empty and cards.trial.active == trial["active"].sum()  # Power BI Pro, all trials
        assert cards.paid == card_totals(reports.licenses(store)).paid
    else:
        assert cards.free.licenses == 0 and cards.trial.licenses == 0


def test_card_totals_of_one_organization_with_over_assigned_units() -> None:
    table = pd.DataFrame({
        "organization": ["A", "A", "A", "A"], "active": [145, 20, 0, 1_000_000], "consumed": [160, 5, 4, 3],
        "is_free": [False, False, False, True], "free_reason": [None, None, None, "free SKU"],
    })
    cards = card_totals(table)
    assert (cards.active, cards.consumed, cards.unused, cards.over_assigned) == (165, 169, 15, 19)
    assert cards.active - cards.consumed == cards.unused - cards.over_assigned
    assert (cards.free.active, cards.free.consumed) == (1_000_000, 3)
    assert cards.utilisation_class == "over-assigned"
    assert card_totals(table.iloc[0:0]).active == 0


@pytest.mark.parametrize("active, consumed, expected", [
    (100, 40, "idle"), (100, 100, "healthy"), (100, 107, "over-assigned"), (0, 0, "idle"), (0, 4, "over-assigned"),
    (10, 5, "healthy" if HEALTHY_FROM <= 0.5 else "idle"), (10, 4, "idle"),
])
def test_utilisation_is_classified_by_meaning(active: int, consumed: int, expected: str) -> None:
    assert utilisation_class(active, consumed) == expected


_FAMILIES = {"EXCHANGE_S_STANDARD": "mailbox", "EXCHANGE_S_ENTERPRISE": "mailbox",
             "SHAREPOINTSTANDARD": "sharepoint", "SHAREPOINTENTERPRISE": "sharepoint",
             "OFFICESUBSCRIPTION": "apps", "OFFICE_BUSINESS": "apps"}


def test_each_overlap_of_catalog_skus_shares_service_plans() -> None:
    """The curated pairs agree with the service plans per SKU of Microsoft's reference (as the
    simulator's catalog carries them): both SKUs give a plan of the same family."""
    checked = 0
    for overlap in OVERLAPS:
        keep, extra = SKU_CATALOG.get(overlap.keep), SKU_CATALOG.get(overlap.extra)
        if keep is None or extra is None:
            continue
        plans = [{_FAMILIES.get(p.service_plan_name, p.service_plan_name) for p in sku.service_plans
                  if p.service_plan_name != "EXCHANGE_S_FOUNDATION"} for sku in (keep, extra)]
        assert plans[0] & plans[1], overlap
        checked += 1
    assert checked >= 5
    free = {part for part, sku in SKU_CATALOG.items() if sku.role == "free"}
    assert not free & {p for o in OVERLAPS for p in (o.keep, o.extra)}
    assert len({(o.keep, o.extra) for o in OVERLAPS}) == len(OVERLAPS)
    assert not {(o.extra, o.keep) for o in OVERLAPS} & {(o.keep, o.extra) for o in OVERLAPS}
