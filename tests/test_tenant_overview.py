"""The connected tenants read set-based (``store.overview``): the same rows as the Active
Integrations table, one page at a time, searched, filtered, problems first, counted by status."""

from __future__ import annotations

import pandas as pd
from test_write_path import E3, batch, sku, tenant

from o365lic import reports
from o365lic.store import (
    FailedRun,
    Store,
    add_integration,
    fail_runs,
    land_group,
    list_integrations,
    start_runs,
    update_integration,
)
from o365lic.store.overview import tenant_status_counts, tenants_page


def _tenants(store: Store) -> dict[str, str]:
    """Five tenants: OK, OK with a warning, Error (after an OK), Paused, Never synced."""
    ok, warned, failed, paused, never = (tenant(n) for n in range(1, 6))
    landed = [batch(store, t, [sku(E3, "SPE_E3", 10, 5)]) for t in (ok, warned, failed, paused)]
    landed[1].warning = "users were cut short"
    assert not land_group(store, landed)
    integration = add_integration(store, never, "Zeta Never")
    run = start_runs(store, [(i.id, i.tenant_id) for i in list_integrations(store)
                             if i.tenant_id == failed])
    fail_runs(store, [FailedRun(next(iter(run.values())), "sign-in failed")])
    update_integration(store, paused, paused=True)
    assert integration.status == "Never synced"
    return {"ok": ok, "warned": warned, "failed": failed, "paused": paused, "never": never}


def test_the_rows_are_those_of_the_active_integrations_table(store: Store) -> None:
    _tenants(store)
    expected = reports.integrations_table(store, match_state="matched")
    pd.testing.assert_frame_equal(tenants_page(store, match_state="matched"), expected, check_dtype=False)
    statuses = dict(zip(expected["tenant_id"], expected["status"]))
    assert sorted(statuses.values()) == ["Error", "Never synced", "OK", "OK", "Paused"]
    assert expected["warning"].notna().sum() == 1


def test_problems_first_a_page_search_status_and_counts(store: Store) -> None:
    t = _tenants(store)
    ordered = tenants_page(store, order="attention")
    assert list(ordered["status"]) == ["Error", "Never synced", "Paused", "OK", "OK"]
    assert list(tenants_page(store, order="attention", limit=2, offset=1)["tenant_id"]) == [t["never"], t["paused"]]
    assert list(tenants_page(store, search="ZETA")["tenant_id"]) == [t["never"]]
    assert list(tenants_page(store, search=t["failed"][-6:])["tenant_id"]) == [t["failed"]]
    assert set(tenants_page(store, status="OK")["tenant_id"]) == {t["ok"], t["warned"]}
    assert tenant_status_counts(store) == {"Error": 1, "Never synced": 1, "Paused": 1, "OK": 2}
    assert tenant_status_counts(store, search="zeta") == {"Never synced": 1}
    assert tenant_status_counts(store, search="nobody") == {}
    hidden = str(ordered["organization"].iloc[0])
    assert hidden not in set(tenants_page(store, hidden=[hidden])["organization"])
    assert sum(tenant_status_counts(store, hidden=[hidden]).values()) == 4
