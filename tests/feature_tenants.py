"""Simulated tenants built to order for the cost, renewal, history, alert and report tests.

``tenant("Alpha", [Lic("SPE_E3", enabled=10, consumed=7)], [Sub("SPE_E3", days=12)], now=NOW)``
is a tenant whose subscribedSkus report exactly those numbers: the simulator derives
consumedUnits from users, so the builder makes that many users holding the SKU.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from o365lic.simulator import (
    SKU_CATALOG,
    SimulatedSku,
    SimulatedSubscription,
    SimulatedTenant,
    SimulatedUser,
    Simulator,
)
from o365lic.store import Store
from o365lic.sync import sync_tenants
from tests.conftest import connect_all, settings_for


@dataclass
class Lic:
    part: str
    enabled: int = 0
    consumed: int = 0
    status: str = "Enabled"
    warning: int = 0
    suspended: int = 0


@dataclass
class Sub:
    part: str
    at: datetime
    status: str = "Enabled"
    total: int = 10
    trial: bool = False


def tenant(name: str, licenses: Sequence[Lic], subscriptions: Sequence[Sub] = ()) -> SimulatedTenant:
    """A tenant called ``name`` with exactly these licenses and subscriptions."""
    tenant_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"features-test:{name}"))
    domain = "".join(c for c in name.lower() if c.isascii() and c.isalnum()) or "tenant"
    users = [SimulatedUser(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}:{i}")), display_name=f"User {i}",
                           user_principal_name=f"user{i}@{domain}.onmicrosoft.com")
             for i in range(max([lic.consumed for lic in licenses] + [0]))]
    skus = []
    for lic in licenses:
        entry = SKU_CATALOG[lic.part]
        skus.append(SimulatedSku(entry.sku_id, lic.part, lic.status, enabled=lic.enabled, warning=lic.warning,
                                 suspended=lic.suspended))
        for user in users[:lic.consumed]:
            user.sku_ids.append(entry.sku_id)
    subs = [SimulatedSubscription(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}:sub:{n}")),
                                  sku_id=SKU_CATALOG[s.part].sku_id, sku_part_number=s.part, status=s.status,
                                  total_licenses=s.total, is_trial=s.trial, created=s.at - timedelta(days=300),
                                  next_lifecycle=s.at)
            for n, s in enumerate(subscriptions)]
    return SimulatedTenant(tenant_id, name, [f"{domain}.onmicrosoft.com"], skus, users, subs)


@contextmanager
def running(tenants: Sequence[SimulatedTenant]) -> Iterator[Simulator]:
    """A simulator serving exactly ``tenants``."""
    with Simulator(tenants) as sim:
        yield sim


def sync_into(store: Store, sim: Simulator, db_path: Path, *, connect: bool = True) -> None:
    """Connect every tenant of ``sim`` (organization = tenant name) and sync them all."""
    if connect:
        connect_all(store, sim)
    results = sync_tenants(store, settings_for(sim, db_path))
    assert all(r.outcome == "ok" for r in results), [r.line() for r in results]
