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
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from .catalog import SKU_CATALOG, CatalogSku
from .model import (
    CapabilityStatus,
    SimulatedSku,
    SimulatedSubscription,
    SimulatedTenant,
    SimulatedUser,
    SubscriptionStatus,
)
from .people import (
    COUNTRIES,
    NAMESPACE,
    PARTNER_NAME,
    company_name,
    generate_users,
    iso_id,
    slug,
)

__all__ = ["default_clock", "generate_partner_tenant", "generate_tenants", "tenant_id_for"]

_Scenario = Literal["normal", "warning", "suspended", "over_assigned", "unused", "locked_out", "trials", "partner"]



def default_clock() -> datetime:
    """Today at midnight UTC: the default clock (the same all day, so generation repeats)."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


_SCENARIOS: dict[int, _Scenario] = {
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


# --------------------------------------------------------------------------- SKUs


@dataclass
class _SkuPlan:
    """Internal: what to create for one SKU before units are known."""

    entry: CatalogSku
    status: CapabilityStatus = "Enabled"
    holder_fraction: float = 0.15
    trial: bool = False
    two_subscriptions: bool = False
    free_units: int = 0
    holders: bool = True  # False: nobody holds it (Deleted, tenant-wide)
    mixed_suspended: bool = False  # Enabled, with some units suspended as well
    company_units: int = 0  # appliesTo "Company": tenant-wide units, consumedUnits 0
    renewal_days: tuple[int, int] | None = None  # nextLifecycleDateTime window, days after the clock


def _choose_suite(rng: random.Random, scenario: _Scenario, user_count: int) -> str:
    fixed = {
        "warning": "SPE_E3",
        "suspended": "SPB",
        "over_assigned": "O365_BUSINESS_ESSENTIALS",
        "unused": "SPE_E5",
        "locked_out": "SPE_E3",
        "trials": "O365_BUSINESS_PREMIUM",
        "partner": "SPB",
    }
    if scenario in fixed:
        return fixed[scenario]
    if user_count > 300:  # Business plans are capped at 300 seats.
        return rng.choice(("SPE_E3", "SPE_E3", "SPE_E5", "ENTERPRISEPACK"))
    return rng.choice(
        ("SPB", "SPB", "SPB", "O365_BUSINESS_PREMIUM", "O365_BUSINESS_PREMIUM", "O365_BUSINESS_ESSENTIALS",
         "O365_BUSINESS_ESSENTIALS", "SPE_E3", "SPE_E3", "SPE_E5", "ENTERPRISEPACK")
    )


def _plan_skus(rng: random.Random, scenario: _Scenario, suite: str) -> list[_SkuPlan]:
    plans: list[_SkuPlan] = [_SkuPlan(SKU_CATALOG[suite], holder_fraction=1.0)]
    addons = ["EXCHANGESTANDARD", "VISIOCLIENT", "PROJECTPROFESSIONAL", "POWER_BI_PRO"]
    if suite in ("ENTERPRISEPACK", "SPE_E3") and scenario != "partner":
        addons.append("EMS")
    forced: dict[str, _SkuPlan] = {}
    if scenario == "suspended":
        forced["PROJECTPROFESSIONAL"] = _SkuPlan(SKU_CATALOG["PROJECTPROFESSIONAL"], status="Suspended")
    elif scenario == "locked_out":
        forced["VISIOCLIENT"] = _SkuPlan(SKU_CATALOG["VISIOCLIENT"], status="LockedOut")
        forced["EMS"] = _SkuPlan(SKU_CATALOG["EMS"], holder_fraction=0.5, mixed_suspended=True)
        forced["PROJECTPROFESSIONAL"] = _SkuPlan(SKU_CATALOG["PROJECTPROFESSIONAL"], status="Deleted",
                                                 holders=False)
    elif scenario == "trials":
        forced["POWER_BI_PRO"] = _SkuPlan(SKU_CATALOG["POWER_BI_PRO"], trial=True)
        forced["MCOPSTNC"] = _SkuPlan(SKU_CATALOG["MCOPSTNC"], holders=False, company_units=10000)
        plans[0].two_subscriptions = True
    elif scenario == "over_assigned":
        plans[0].renewal_days = (31, 90)
    elif scenario == "unused":
        plans[0].renewal_days = (120, 300)
    elif scenario == "warning":
        plans[0].status = "Warning"
        forced["EXCHANGESTANDARD"] = _SkuPlan(SKU_CATALOG["EXCHANGESTANDARD"])
    elif scenario == "partner":
        forced["POWER_BI_PRO"] = _SkuPlan(SKU_CATALOG["POWER_BI_PRO"], holder_fraction=0.5)

    if scenario == "partner":
        extra_count = 0
    else:
        extra_count = max(0, rng.randint(1, 3) - len(forced))
    optional = [a for a in addons if a not in forced]
    rng.shuffle(optional)
    for part in list(forced):
        plans.append(forced[part])
    for part in optional[:extra_count]:
        plans.append(_SkuPlan(SKU_CATALOG[part], holder_fraction=rng.uniform(0.05, 0.3)))

    free_candidates: list[tuple[str, int]] = [
        ("TEAMS_EXPLORATORY", 100),
        ("FLOW_FREE", 10000),
        ("POWER_BI_STANDARD", 1000000),
    ]
    for part, units in free_candidates:
        wanted = rng.random() < 0.5
        if scenario == "suspended" and part == "POWER_BI_STANDARD":
            wanted = True
        if scenario == "warning" and part in ("TEAMS_EXPLORATORY", "FLOW_FREE"):
            wanted = True
        if scenario == "partner":
            wanted = False
        if wanted and len(plans) < 7:
            plans.append(_SkuPlan(SKU_CATALOG[part], holder_fraction=0.0, free_units=units,
                                  trial=part == "TEAMS_EXPLORATORY"))
    while len(plans) < 3 and optional[extra_count:]:
        part = optional.pop()
        plans.append(_SkuPlan(SKU_CATALOG[part], holder_fraction=rng.uniform(0.05, 0.3)))
    return plans


def _assign_and_price(
    rng: random.Random, scenario: _Scenario, plans: list[_SkuPlan], users: list[SimulatedUser]
) -> list[SimulatedSku]:
    """Assign licenses to users and derive prepaid units consistent with the assignments."""
    licensable: list[SimulatedUser] = []
    for user in users:
        if user.account_enabled:
            if rng.random() >= 0.07:  # shared mailboxes, service accounts: unlicensed
                licensable.append(user)
        elif rng.random() < 0.4:  # departed staff whose licenses were never removed
            licensable.append(user)

    has_exchange_addon = any(p.entry.sku_part_number == "EXCHANGESTANDARD" for p in plans)
    suite_holders: list[SimulatedUser] = []
    exchange_only: list[SimulatedUser] = []
    for user in licensable:
        if has_exchange_addon and rng.random() < 0.12:
            exchange_only.append(user)
        else:
            suite_holders.append(user)
    if has_exchange_addon and not exchange_only and suite_holders:
        exchange_only.append(suite_holders.pop())

    skus: list[SimulatedSku] = []
    for index, plan in enumerate(plans):
        part = plan.entry.sku_part_number
        if index == 0:
            holders = suite_holders
        elif part == "EXCHANGESTANDARD":
            holders = exchange_only
        elif not plan.holders:
            holders = []
        elif plan.free_units:
            pool = [u for u in users if u.account_enabled]
            holders = rng.sample(pool, min(len(pool), rng.randint(1, 8))) if pool else []
        else:
            pool = suite_holders or licensable
            k = max(1, round(len(pool) * plan.holder_fraction)) if pool else 0
            holders = rng.sample(pool, min(k, len(pool)))
        for user in holders:
            user.sku_ids.append(plan.entry.sku_id)
        consumed = len(holders)

        sku = SimulatedSku(sku_id=plan.entry.sku_id, sku_part_number=part, capability_status=plan.status,
                           applies_to="Company" if plan.company_units else "User")
        if plan.company_units:
            sku.enabled = plan.company_units
        elif plan.status == "Deleted":
            pass  # a deleted subscription keeps its SKU row with no units
        elif plan.free_units:
            sku.enabled = plan.free_units
        elif plan.trial and part != "TEAMS_EXPLORATORY":
            sku.enabled = max(25, consumed)
        else:
            if scenario == "unused" and index != len(plans) - 1:
                slack = max(3, int(consumed * rng.uniform(0.3, 0.8)))
            else:
                slack = rng.choice((0, 0, 1, 2, 3, 5))
            total = consumed + slack
            if scenario == "over_assigned" and index == 0:
                total = max(1, consumed - rng.randint(2, 5))
            if plan.status == "Warning":
                warning = max(1, min(total - 1, rng.randint(3, 10))) if total > 1 else total
                sku.warning = warning
                sku.enabled = total - warning
            elif plan.status == "Suspended":
                sku.suspended = max(total, 1)
            elif plan.status == "LockedOut":
                sku.locked_out = max(total, 1)
            elif plan.status == "Deleted":
                pass
            elif plan.mixed_suspended:
                sku.suspended = rng.randint(2, 5)
                sku.enabled = total
            else:
                sku.enabled = total
        skus.append(sku)
    return skus


# --------------------------------------------------------------------------- subscriptions


def _subscriptions_for(
    rng: random.Random, tenant_id: str, sku: SimulatedSku, plan: _SkuPlan, clock: datetime
) -> list[SimulatedSubscription]:
    def sub_id(n: int) -> str:
        return iso_id(f"subscription:{tenant_id}:{sku.sku_id}:{n}")

    def commerce_id(n: int) -> str:
        return iso_id(f"commerce:{tenant_id}:{sku.sku_id}:{n}")

    created = clock - timedelta(days=rng.randint(60, 1400), minutes=rng.randint(0, 1439))
    renewal = clock + timedelta(days=rng.randint(*(plan.renewal_days or (15, 365))))
    part = sku.sku_part_number

    if plan.company_units:
        return [SimulatedSubscription(sub_id(0), sku.sku_id, part, "Enabled", sku.enabled, False, created,
                                      renewal, commerce_id(0))]
    if plan.mixed_suspended:
        return [
            SimulatedSubscription(sub_id(0), sku.sku_id, part, "Enabled", sku.enabled, False, created, renewal,
                                  commerce_id(0)),
            SimulatedSubscription(sub_id(1), sku.sku_id, part, "Suspended", sku.suspended, False,
                                  created + timedelta(days=rng.randint(10, 40)),
                                  clock + timedelta(days=rng.randint(31, 90)), commerce_id(1)),
        ]

    if plan.free_units:
        next_lifecycle: datetime | None = None
        if part == "TEAMS_EXPLORATORY":
            next_lifecycle = clock + timedelta(days=rng.randint(20, 300))
        return [SimulatedSubscription(sub_id(0), sku.sku_id, part, "Enabled", sku.enabled, plan.trial,
                                      created, next_lifecycle, commerce_id(0))]
    if plan.trial:
        trial_created = clock - timedelta(days=rng.randint(3, 20), minutes=rng.randint(0, 1439))
        return [SimulatedSubscription(sub_id(0), sku.sku_id, part, "Enabled", sku.enabled, True,
                                      trial_created, trial_created + timedelta(days=30), commerce_id(0))]
    if sku.capability_status == "Warning":
        return [
            SimulatedSubscription(sub_id(0), sku.sku_id, part, "Enabled", sku.enabled, False, created, renewal,
                                  commerce_id(0)),
            SimulatedSubscription(sub_id(1), sku.sku_id, part, "Warning", sku.warning, False,
                                  created + timedelta(days=rng.randint(10, 40)),
                                  clock + timedelta(days=rng.randint(3, 25)), commerce_id(1)),
        ]
    status_units: dict[CapabilityStatus, tuple[int, datetime]] = {
        "Suspended": (sku.suspended, clock + timedelta(days=rng.randint(31, 85))),
        "LockedOut": (sku.locked_out, clock + timedelta(days=rng.randint(3, 20))),
        "Deleted": (0, clock - timedelta(days=rng.randint(1, 20))),
    }
    status: SubscriptionStatus = sku.capability_status
    total, next_lifecycle2 = status_units.get(sku.capability_status, (sku.enabled, renewal))
    if (plan.two_subscriptions or rng.random() < 0.25) and total >= 4:
        first = rng.randint(1, total - 1)
        later = created + timedelta(days=rng.randint(30, 300))
        return [
            SimulatedSubscription(sub_id(0), sku.sku_id, part, status, first, False, created, next_lifecycle2,
                                  commerce_id(0)),
            SimulatedSubscription(sub_id(1), sku.sku_id, part, status, total - first, False, later,
                                  next_lifecycle2 + timedelta(days=rng.randint(1, 120)), commerce_id(1)),
        ]
    return [SimulatedSubscription(sub_id(0), sku.sku_id, part, status, total, False, created, next_lifecycle2,
                                  commerce_id(0))]


# --------------------------------------------------------------------------- tenants


def _build_tenant(
    seed: int,
    key: str,
    tenant_id: str,
    name: str,
    scenario: _Scenario,
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
    suite = _choose_suite(rng, scenario, count)
    plans = _plan_skus(rng, scenario, suite)
    skus = _assign_and_price(rng, scenario, plans, users)
    subscriptions: list[SimulatedSubscription] = []
    for sku, plan in zip(skus, plans):
        subscriptions.extend(_subscriptions_for(rng, tenant_id, sku, plan, clock))
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
        scenario: _Scenario = _SCENARIOS.get(index, "normal")
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
