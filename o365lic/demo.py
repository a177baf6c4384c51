"""Demo mode: with no app registration configured, talk to the built-in simulator.

The simulator runs in this process on a loopback port, started on first use; its demo
tenants are generated from a fixed seed, so they are the same tenants in every run and a
database made in one run keeps working in the next.
"""

from __future__ import annotations

import atexit
import threading

from o365lic.config import Settings
from o365lic.simulator import Simulator, generate_tenants, start_simulator
from o365lic.store import Store, add_integration
from o365lic.store.app_state import flag_is_set, set_flag
from o365lic.store.integrations import any_connected
from o365lic.store.prices import install_demo_prices

__all__ = ["DEMO_SEED", "DEMO_TENANTS", "demo_simulator", "ensure_demo_tenants", "runtime_settings"]

DEMO_SEED = 365
DEMO_TENANTS = 6

_lock = threading.Lock()
_simulator: Simulator | None = None


def demo_simulator() -> Simulator:
    """The process's demo simulator, started on first call and stopped at exit."""
    global _simulator
    with _lock:
        if _simulator is None:
            _simulator = start_simulator(tenants=DEMO_TENANTS, seed=DEMO_SEED)
            atexit.register(_simulator.stop)
        return _simulator


def runtime_settings(settings: Settings) -> Settings:
    """``settings`` as they are, or pointed at the demo simulator in demo mode."""
    if not settings.demo_mode or settings.demo:
        return settings
    sim = demo_simulator()
    return settings.with_simulator(
        authority_host=sim.authority_host, graph_url=sim.graph_url, ca_bundle=sim.ca_file,
        client_id=sim.client_id, client_secret=sim.client_secret,
        partner_tenant=sim.partner_tenant_id, product_names_url=sim.product_names_url,
    )


def ensure_demo_tenants(store: Store) -> int:
    """Connect the demo tenants to a database that has never had any, with the demo's example
    price list (never over a user's own); returns how many tenants were connected."""
    if any_connected(store) or flag_is_set(store, "demo_seeded"):  # one cheap look on first load
        install_demo_prices(store)
        return 0
    tenants = generate_tenants(DEMO_TENANTS, DEMO_SEED)
    for tenant in tenants:
        add_integration(store, tenant.tenant_id, tenant.display_name,
                        tenant_name=tenant.display_name, default_domain=tenant.domains[0], actor="demo")
    set_flag(store, "demo_seeded")
    install_demo_prices(store)
    return len(tenants)
