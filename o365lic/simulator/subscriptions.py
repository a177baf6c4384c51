"""The subscriptions (``/directory/subscriptions``) behind a generated SKU: one, two bought
at different times, an expiring Warning part, a trial's 30 days, dates relative to the clock.

Pure and deterministic, like :mod:`o365lic.simulator.sku_plans`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .model import CapabilityStatus, SimulatedSku, SimulatedSubscription, SubscriptionStatus
from .people import iso_id
from .sku_plans import SkuPlan

__all__ = ["subscriptions_for"]


def subscriptions_for(
    rng: random.Random, tenant_id: str, sku: SimulatedSku, plan: SkuPlan, clock: datetime
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
    def enabled_and_later(status: SubscriptionStatus, units: int, days: tuple[int, int]) -> list[SimulatedSubscription]:
        """The Enabled units, and a part bought later in ``status`` whose next lifecycle date is
        ``days`` after the clock."""
        return [
            SimulatedSubscription(sub_id(0), sku.sku_id, part, "Enabled", sku.enabled, False, created, renewal,
                                  commerce_id(0)),
            SimulatedSubscription(sub_id(1), sku.sku_id, part, status, units, False,
                                  created + timedelta(days=rng.randint(10, 40)),
                                  clock + timedelta(days=rng.randint(*days)), commerce_id(1)),
        ]

    if plan.mixed_suspended:
        return enabled_and_later("Suspended", sku.suspended, (31, 90))

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
        return enabled_and_later("Warning", sku.warning, (3, 25))
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
