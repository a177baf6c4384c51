"""One-time marks of a database: the demo tenants are connected once, never again."""

from __future__ import annotations

from o365lic import demo
from o365lic.store import Store, disconnect_tenant, list_integrations
from o365lic.store.app_state import flag_is_set, set_flag


def test_a_mark_is_set_once_and_stays(store: Store) -> None:
    assert not flag_is_set(store, "demo_seeded")
    set_flag(store, "demo_seeded")
    with store.transaction() as con:
        set_flag(con, "demo_seeded")  # again, inside a transaction: still one mark
        assert flag_is_set(con, "demo_seeded")
    assert flag_is_set(store, "demo_seeded") and not flag_is_set(store, "demo_prices")
    assert store.scalar("SELECT count(*) FROM app_state WHERE key = 'demo_seeded'") == 1


def test_the_demo_tenants_are_connected_once(store: Store) -> None:
    assert demo.ensure_demo_tenants(store) == demo.DEMO_TENANTS
    assert flag_is_set(store, "demo_seeded")
    for integration in list_integrations(store):
        disconnect_tenant(store, integration.tenant_id, "delete-data")
    assert list_integrations(store) == []
    assert demo.ensure_demo_tenants(store) == 0  # a person disconnected them: they stay away
    assert list_integrations(store) == []
