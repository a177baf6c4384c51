"""Deterministic generation of fictitious customer tenants, relative to a clock.

Pure: no I/O, no global random state. The same ``seed`` and ``clock`` always yield the same
tenant ids, names, domains, SKUs, subscriptions and users; tenant ``i`` does not depend on how
many tenants are generated. Dates (creation, ``nextLifecycleDateTime``) are relative to
``clock`` (default: today, midnight UTC), so renewals stay within 30 days, 31-90 days or later
whenever the demo runs.

The first six tenants cover what real tenants hold: a Warning SKU and subscription, a
Suspended one, an over-assigned one, a mostly-unused tenant, a LockedOut SKU next to a SKU
mixing enabled and suspended units, a Deleted SKU and a billing ``accountId`` other than the
tenant id, and trials next to a tenant-wide (``appliesTo: Company``) SKU.

A tenant's SKUs and assignments come from :mod:`o365lic.simulator.sku_plans`, its
subscriptions from :mod:`o365lic.simulator.subscriptions`; this module picks the scenario,
names, domains and users and puts the tenant together.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from .model import SimulatedSubscription, SimulatedTenant
from .people import (
    COUNTRIES,
    NAMESPACE,
    PARTNER_NAME,
    company_name,
    generate_users,
    iso_id,
    slug,
)
from .sku_plans import Scenario, assign_and_price, choose_suite, plan_skus
from .subscriptions import subscriptions_for

__all__ = ["default_clock", "generate_partner_tenant", "generate_tenants", "tenant_id_for"]


def default_clock() -> datetime:
    """Today at midnight UTC: the default clock (the same all day, so generation repeats)."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


_SCENARIOS: dict[int, Scenario] = {
    0: "warning",
    1: "suspended",
    2: "over_assigned",
    3: "unused",
    4: "locked_out",
    5: "trials",
}


def tenant_id_for(seed: int, index: int) -> str:
    """The deterministic tenant GUID of generated tenant ``index`` for ``seed``."""
    return str(uuid.uuid5(NAMESPACE, f"tenant:{seed}:{index}"))


def _build_tenant(
    seed: int,
    key: str,
    tenant_id: str,
    name: str,
    scenario: Scenario,
    users_per_tenant: int | None,
    custom_domain: bool | None = None,
    clock: datetime | None = None,
) -> SimulatedTenant:
    clock = clock or default_clock()
    rng = random.Random(f"o365lic-simulator:{seed}:{key}")
    domain_part = slug(name)
    country = rng.choice(COUNTRIES)
    use_custom = rng.random() < 0.5 if custom_domain is None else custom_domain
    domains = [f"{domain_part}.onmicrosoft.com"]
    if use_custom:
        domains.insert(0, f"{domain_part}.com")
    if users_per_tenant is None:
        count = rng.randint(6, 12) if scenario == "partner" else rng.randint(15, 150)
    else:
        count = max(0, int(users_per_tenant))
    users = generate_users(rng, tenant_id, count, domains[0], country)
    suite = choose_suite(rng, scenario, count)
    plans = plan_skus(rng, scenario, suite)
    skus = assign_and_price(rng, scenario, plans, users)
    subscriptions: list[SimulatedSubscription] = []
    for sku, plan in zip(skus, plans):
        subscriptions.extend(subscriptions_for(rng, tenant_id, sku, plan, clock))
    return SimulatedTenant(
        tenant_id=tenant_id,
        display_name=name,
        domains=domains,
        skus=skus,
        users=users,
        subscriptions=subscriptions,
        consented=True,
        country_letter_code=country,
        created=clock - timedelta(days=rng.randint(1500, 4000), seconds=rng.randint(0, 86399)),
        account_id=iso_id(f"billing-account:{tenant_id}") if scenario == "locked_out" else None,
    )


def generate_tenants(
    count: int, seed: int = 365, users_per_tenant: int | None = None, clock: datetime | None = None,
) -> list[SimulatedTenant]:
    """Generate ``count`` fictitious customer tenants, deterministically from ``seed`` and ``clock``.

    ``users_per_tenant=None`` gives each tenant 15-150 users; an int gives exactly that many.
    ``clock`` (default: today, midnight UTC) is "now" for creation and renewal dates. The first
    six tenants cover the situations listed in this module's docstring.
    """
    clock = clock or default_clock()
    tenants: list[SimulatedTenant] = []
    for index in range(max(0, count)):
        scenario: Scenario = _SCENARIOS.get(index, "normal")
        tenants.append(
            _build_tenant(
                seed,
                f"tenant:{index}",
                tenant_id_for(seed, index),
                company_name(index),
                scenario,
                users_per_tenant,
                custom_domain=(index % 2 == 1) if index < 6 else None,
                clock=clock,
            )
        )
    return tenants


def generate_partner_tenant(seed: int = 365, clock: datetime | None = None) -> SimulatedTenant:
    """Generate the MSP's own (partner) tenant for ``seed``."""
    tenant_id = str(uuid.uuid5(NAMESPACE, f"partner:{seed}"))
    return _build_tenant(seed, "partner", tenant_id, PARTNER_NAME, "partner", None, custom_domain=False,
                         clock=clock)
