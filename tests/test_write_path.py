"""The sync's write path: group commits, tenant isolation, history, free-SKU flags.

Records are built here (the simulator learns these shapes separately) and landed with the
same code the sync uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from o365lic.licenses import LicenseRecord, license_record
from o365lic.store import (
    Store,
    SubscriptionRecord,
    TenantBatch,
    TenantInfo,
    add_integration,
    land_group,
    list_integrations,
    save_free_skus,
    start_runs,
)
from o365lic.store.audit import audit_log

E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
VISIO = "c5928f49-12ba-48f7-ada3-0d743a3601d5"
PHONE = "e43b5b99-8dfb-405f-9987-dc307f34bcbd"


def sku(sku_id: str, part: str, enabled: int, consumed: int, status: str = "Enabled", **extra: Any) -> dict:
    return {"skuId": sku_id, "skuPartNumber": part, "capabilityStatus": status, "consumedUnits": consumed,
            "prepaidUnits": {"enabled": enabled, "warning": 0, "suspended": 0, "lockedOut": 0}, **extra}


def subscription(sku_id: str, part: str, trial: bool) -> SubscriptionRecord:
    return SubscriptionRecord(f"sub-{sku_id}-{trial}", None, sku_id, part, "Enabled", 25, trial,
                              datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def users(*ids: str, skus: tuple[str, ...] = (E3,)) -> tuple[dict[str, list[Any]], tuple[list[str], list[str]]]:
    columns = {"user_id": list(ids), "user_principal_name": [f"{i}@example.com" for i in ids],
               "display_name": list(ids), "given_name": [None] * len(ids), "surname": [None] * len(ids),
               "mail": [f"{i}@example.com" for i in ids], "proxy_addresses": [[] for _ in ids],
               "account_enabled": [True] * len(ids)}
    pairs = [(i, s) for i in ids for s in skus]
    return columns, ([p[0] for p in pairs], [p[1] for p in pairs])


def batch(store: Store, tenant_id: str, skus: list[dict], *, subs: list[SubscriptionRecord] | None = None,
          people: tuple[str, ...] = ("ada", "bob"), licenses: list[LicenseRecord] | None = None) -> TenantBatch:
    integration = next((i for i in list_integrations(store) if i.tenant_id == tenant_id), None)
    if integration is None:
        integration = add_integration(store, tenant_id, f"Org {tenant_id[-4:]}")
    run_id = start_runs(store, [(integration.id, tenant_id)])[integration.id]
    trials = frozenset(s.sku_id for s in subs or () if s.is_trial)
    records = licenses if licenses is not None else [
        license_record(s, product_names={}, trial_sku_ids=trials) for s in skus]
    columns, pairs = users(*people)
    return TenantBatch(run_id=run_id, integration_id=integration.id,
                       tenant=TenantInfo(tenant_id, f"Tenant {tenant_id[-4:]}", None, ()),
                       licenses=records, subscriptions=subs, users=columns, user_licenses=pairs)


def tenant(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def snapshots(store: Store, tenant_id: str) -> list[tuple]:
    return store.rows("SELECT sku_id, active, consumed FROM license_snapshots WHERE tenant_id = ? "
                      "ORDER BY taken_at, sku_id", [tenant_id])


def test_a_group_lands_every_tenant_with_its_own_users_and_licenses(store: Store) -> None:
    group = [batch(store, tenant(n), [sku(E3, "SPE_E3", 10 + n, 2)]) for n in range(1, 6)]
    assert land_group(store, group) == {}
    assert store.rows("SELECT tenant_id, active, consumed FROM office365_licenses ORDER BY tenant_id") == [
        (tenant(n), 10 + n, 2) for n in range(1, 6)]
    assert store.scalar("SELECT count(*) FROM contacts") == 10  # two users in each organization
    assert store.scalar("SELECT count(*) FROM flexible_asset_tags") == 10
    assert {i.status for i in list_integrations(store)} == {"OK"}


def test_one_bad_tenant_does_not_sink_its_group(store: Store) -> None:
    good = [batch(store, tenant(n), [sku(E3, "SPE_E3", 10, 2)]) for n in (1, 2)]
    before = batch(store, tenant(3), [sku(E3, "SPE_E3", 40, 4)])
    assert land_group(store, [before]) == {}
    # a record no database accepts (a license without a name) fails its tenant's landing
    broken = license_record(sku(E3, "SPE_E3", 99, 9), product_names={})
    bad = batch(store, tenant(3), [], licenses=[LicenseRecord(broken.sku_id, broken.sku_part_number, None,  # type: ignore[arg-type]
                                                              broken.status, broken.counts, None)])
    failed = land_group(store, [good[0], bad, good[1]])
    assert list(failed) == [bad.run_id]
    assert store.rows("SELECT tenant_id, active FROM office365_licenses ORDER BY tenant_id") == [
        (tenant(1), 10), (tenant(2), 10), (tenant(3), 40)]  # the bad tenant keeps its previous data


def test_an_unchanged_resync_adds_no_history_and_a_gone_license_closes_with_zeros(store: Store) -> None:
    skus = [sku(E3, "SPE_E3", 10, 2), sku(VISIO, "VISIOCLIENT", 5, 1)]
    land_group(store, [batch(store, tenant(1), skus)])
    land_group(store, [batch(store, tenant(1), skus)])
    assert snapshots(store, tenant(1)) == [(E3, 10, 2), (VISIO, 5, 1)]
    # E3 grows; Visio disappears: one new row for E3, one row of zeros for Visio
    land_group(store, [batch(store, tenant(1), [sku(E3, "SPE_E3", 12, 2)])])
    land_group(store, [batch(store, tenant(1), [sku(E3, "SPE_E3", 12, 2)])])
    assert snapshots(store, tenant(1))[2:] == [(E3, 12, 2), (VISIO, 0, 0)]
    assert len(snapshots(store, tenant(1))) == 4


def test_an_all_trial_sku_leaving_the_free_list_stays_a_trial(store: Store) -> None:
    visio = sku(VISIO, "VISIOCLIENT", 25, 3)
    land_group(store, [batch(store, tenant(1), [visio, sku(E3, "SPE_E3", 10, 2)],
                             subs=[subscription(VISIO, "VISIOCLIENT", True), subscription(E3, "SPE_E3", False)])])

    def reasons() -> dict[str, str | None]:
        return dict(store.rows("SELECT sku_part_number, free_reason FROM flexible_assets"))

    assert reasons() == {"VISIOCLIENT": "trial", "SPE_E3": None}
    save_free_skus(store, ["VISIOCLIENT", "SPE_E3"], actor="admin@example.com")
    assert reasons() == {"VISIOCLIENT": "free SKU", "SPE_E3": "free SKU"}
    save_free_skus(store, ["FLOW_FREE"])  # both leave the list: Visio is still all-trial
    assert reasons() == {"VISIOCLIENT": "trial", "SPE_E3": None}
    assert store.rows("SELECT sku_part_number, is_free FROM office365_licenses ORDER BY 1") == [
        ("SPE_E3", False), ("VISIOCLIENT", True)]
    log = audit_log(store)
    saves = log[log["Action"] == "free-SKU list"]  # newest first
    assert list(saves["Who"]) == ["o365lic", "admin@example.com"]


def test_a_tenant_wide_sku_is_flagged_with_its_own_reason_and_keeps_it(store: Store) -> None:
    phone = sku(PHONE, "MCOPSTNC", 500, 0, appliesTo="Company")
    land_group(store, [batch(store, tenant(1), [phone, sku(E3, "SPE_E3", 10, 2, appliesTo="User")])])
    flags = "SELECT sku_part_number, free_reason, is_free FROM flexible_assets ORDER BY 1"
    assert store.rows(flags) == [("MCOPSTNC", "tenant-wide", True), ("SPE_E3", None, False)]
    save_free_skus(store, ["SPE_E3"])
    save_free_skus(store, None)
    assert store.rows(flags) == [("MCOPSTNC", "tenant-wide", True), ("SPE_E3", None, False)]


def test_two_tenants_of_one_organization_in_one_group_keep_their_own_contacts(store: Store) -> None:
    add_integration(store, tenant(1), "Shared")
    add_integration(store, tenant(2), "Shared")
    first = batch(store, tenant(1), [sku(E3, "SPE_E3", 10, 2)], people=("ada", "bob"))
    second = batch(store, tenant(2), [sku(E3, "SPE_E3", 10, 2)], people=("cyd", "dan"))
    assert land_group(store, [first, second]) == {}
    assert store.rows("SELECT i.tenant_id, count(*) FROM contacts c JOIN integrations i ON i.id = c.integration_id "
                      "GROUP BY 1 ORDER BY 1") == [(tenant(1), 2), (tenant(2), 2)]
