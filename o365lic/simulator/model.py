"""Simulated tenants: the mutable dataclasses a test or the generator (``generator.py``) fills in.

Status values are PascalCase exactly as Microsoft sends them (``Enabled``, ``Warning``,
``Suspended``, ``LockedOut``, ``Deleted``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from .permissions import DEFAULT_GRANTED

__all__ = [
    "EPOCH",
    "AppliesTo",
    "CapabilityStatus",
    "SimulatedSku",
    "SimulatedSubscription",
    "SimulatedTenant",
    "SimulatedUser",
    "SubscriptionStatus",
    "find_tenant",
]

CapabilityStatus = Literal["Enabled", "Warning", "Suspended", "LockedOut", "Deleted"]
SubscriptionStatus = Literal["Enabled", "Warning", "Suspended", "LockedOut", "Deleted"]
AppliesTo = Literal["User", "Company"]

#: Default creation time of hand-made tenants and subscriptions.
EPOCH: datetime = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class SimulatedSku:
    """A SKU the tenant has subscribed to; ``consumedUnits`` is derived from the users."""

    sku_id: str
    sku_part_number: str
    capability_status: CapabilityStatus = "Enabled"
    enabled: int = 0
    warning: int = 0
    suspended: int = 0
    locked_out: int = 0
    applies_to: AppliesTo = "User"  # "Company": tenant-wide, never assigned to users

    @property
    def total_prepaid(self) -> int:
        """Sum of all prepaid units (enabled + warning + suspended + lockedOut)."""
        return self.enabled + self.warning + self.suspended + self.locked_out


@dataclass
class SimulatedUser:
    """A directory user; ``sku_ids`` are the skuIds of its assignedLicenses."""

    id: str
    display_name: str
    user_principal_name: str
    mail: str | None = None
    account_enabled: bool = True
    sku_ids: list[str] = field(default_factory=list)
    given_name: str | None = None
    surname: str | None = None
    job_title: str | None = None
    department: str | None = None
    usage_location: str | None = None
    aliases: list[str] = field(default_factory=list)  # extra smtp: proxy addresses


@dataclass
class SimulatedSubscription:
    """A commerce subscription (``companySubscription``) behind a SKU."""

    id: str
    sku_id: str
    sku_part_number: str
    status: SubscriptionStatus = "Enabled"
    total_licenses: int = 0
    is_trial: bool = False
    created: datetime = EPOCH
    next_lifecycle: datetime | None = None
    commerce_subscription_id: str | None = None


@dataclass
class SimulatedTenant:
    """A customer (or partner) Microsoft Entra tenant. ``domains[0]`` is the default domain.

    ``granted_permissions`` are the Graph application permissions admin-consented in the tenant;
    ``account_id`` is the billing account of its SKUs (``accountId``), the tenant id when None.
    """

    tenant_id: str
    display_name: str
    domains: list[str]
    skus: list[SimulatedSku] = field(default_factory=list)
    users: list[SimulatedUser] = field(default_factory=list)
    subscriptions: list[SimulatedSubscription] = field(default_factory=list)
    consented: bool = True
    country_letter_code: str = "US"
    created: datetime = EPOCH
    granted_permissions: frozenset[str] = DEFAULT_GRANTED
    account_id: str | None = None

    @property
    def default_domain(self) -> str:
        """The default verified domain (the first of ``domains``)."""
        return self.domains[0]

    @property
    def initial_domain(self) -> str:
        """The ``*.onmicrosoft.com`` domain created with the tenant (else the default one)."""
        for domain in self.domains:
            if domain.lower().endswith(".onmicrosoft.com"):
                return domain
        return self.domains[0]

    def consumed_units(self, sku_id: str) -> int:
        """Number of users whose assigned licenses contain ``sku_id``."""
        key = sku_id.lower()
        return sum(1 for user in self.users if any(s.lower() == key for s in user.sku_ids))

    def has_domain(self, name: str) -> bool:
        """True when ``name`` is one of the tenant's domains (case-insensitive)."""
        key = name.lower()
        return any(d.lower() == key for d in self.domains)


def find_tenant(tenants: Iterable[SimulatedTenant], key: str) -> SimulatedTenant | None:
    """The tenant whose GUID (preferred) or one of whose domains equals ``key``, case-insensitive."""
    needle = key.strip().lower()
    if not needle:
        return None
    candidates = list(tenants)
    for tenant in candidates:
        if tenant.tenant_id.lower() == needle:
            return tenant
    for tenant in candidates:
        if tenant.has_domain(needle):
            return tenant
    return None
