"""What a generated tenant holds: its SKUs, who is assigned each, and the prepaid units.

Pure and deterministic: every choice comes from the ``rng`` the generator passes in, in the
same order, so the same seed yields the same SKUs. A ``Scenario`` is the situation a tenant
shows (see :mod:`o365lic.simulator.generator`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from .catalog import SKU_CATALOG, CatalogSku
from .model import CapabilityStatus, SimulatedSku, SimulatedUser

__all__ = ["Scenario", "SkuPlan", "assign_and_price", "choose_suite", "plan_skus"]

Scenario = Literal["normal", "warning", "suspended", "over_assigned", "unused", "locked_out", "trials", "partner"]


@dataclass
class SkuPlan:
    """What to create for one SKU before units are known."""

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


def choose_suite(rng: random.Random, scenario: Scenario, user_count: int) -> str:
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


def plan_skus(rng: random.Random, scenario: Scenario, suite: str) -> list[SkuPlan]:
    plans: list[SkuPlan] = [SkuPlan(SKU_CATALOG[suite], holder_fraction=1.0)]
    addons = ["EXCHANGESTANDARD", "VISIOCLIENT", "PROJECTPROFESSIONAL", "POWER_BI_PRO"]
    if suite in ("ENTERPRISEPACK", "SPE_E3") and scenario != "partner":
        addons.append("EMS")
    forced: dict[str, SkuPlan] = {}
    if scenario == "suspended":
        forced["PROJECTPROFESSIONAL"] = SkuPlan(SKU_CATALOG["PROJECTPROFESSIONAL"], status="Suspended")
    elif scenario == "locked_out":
        forced["VISIOCLIENT"] = SkuPlan(SKU_CATALOG["VISIOCLIENT"], status="LockedOut")
        forced["EMS"] = SkuPlan(SKU_CATALOG["EMS"], holder_fraction=0.5, mixed_suspended=True)
        forced["PROJECTPROFESSIONAL"] = SkuPlan(SKU_CATALOG["PROJECTPROFESSIONAL"], status="Deleted",
                                                 holders=False)
    elif scenario == "trials":
        forced["POWER_BI_PRO"] = SkuPlan(SKU_CATALOG["POWER_BI_PRO"], trial=True)
        forced["MCOPSTNC"] = SkuPlan(SKU_CATALOG["MCOPSTNC"], holders=False, company_units=10000)
        plans[0].two_subscriptions = True
    elif scenario == "over_assigned":
        plans[0].renewal_days = (31, 90)
    elif scenario == "unused":
        plans[0].renewal_days = (120, 300)
    elif scenario == "warning":
        plans[0].status = "Warning"
        forced["EXCHANGESTANDARD"] = SkuPlan(SKU_CATALOG["EXCHANGESTANDARD"])
    elif scenario == "partner":
        forced["POWER_BI_PRO"] = SkuPlan(SKU_CATALOG["POWER_BI_PRO"], holder_fraction=0.5)

    if scenario == "partner":
        extra_count = 0
    else:
        extra_count = max(0, rng.randint(1, 3) - len(forced))
    optional = [a for a in addons if a not in forced]
    rng.shuffle(optional)
    for part in list(forced):
        plans.append(forced[part])
    for part in optional[:extra_count]:
        plans.append(SkuPlan(SKU_CATALOG[part], holder_fraction=rng.uniform(0.05, 0.3)))

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
            plans.append(SkuPlan(SKU_CATALOG[part], holder_fraction=0.0, free_units=units,
                                  trial=part == "TEAMS_EXPLORATORY"))
    while len(plans) < 3 and optional[extra_count:]:
        part = optional.pop()
        plans.append(SkuPlan(SKU_CATALOG[part], holder_fraction=rng.uniform(0.05, 0.3)))
    return plans


def assign_and_price(
    rng: random.Random, scenario: Scenario, plans: list[SkuPlan], users: list[SimulatedUser]
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
