"""Plain records the store reads and writes (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = [
    "DisconnectMode",
    "Integration",
    "IntegrationStatus",
    "MatchState",
    "Role",
    "RunOutcome",
    "SubscriptionRecord",
    "TenantInfo",
    "UserRecord",
]

IntegrationStatus = Literal["OK", "Syncing...", "Error", "Paused", "Never synced"]
RunOutcome = Literal["running", "ok", "error", "interrupted"]
DisconnectMode = Literal["keep-data", "delete-data"]
MatchState = Literal["matched", "unmatched", "ignored"]
Role = Literal["Administrator", "Manager", "Editor", "Creator", "Read-only"]


@dataclass(frozen=True)
class Integration:
    """One connected tenant, its match and its sync settings and status."""

    id: int
    tenant_id: str
    tenant_name: str | None
    default_domain: str | None
    organization_id: int | None
    organization: str | None
    sync_licenses: bool
    paused: bool
    sync_interval_minutes: int
    status: IntegrationStatus
    match_state: MatchState = "matched"
    verified_domains: tuple[str, ...] = ()
    last_sync_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class TenantInfo:
    """What ``GET /organization`` says about the tenant."""

    tenant_id: str
    display_name: str | None
    default_domain: str | None
    verified_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserRecord:
    """A Microsoft user as the sync keeps it (a contact of the organization)."""

    user_id: str
    user_principal_name: str | None
    display_name: str | None
    given_name: str | None
    surname: str | None
    mail: str | None
    account_enabled: bool | None
    sku_ids: tuple[str, ...] = field(default=())
    proxy_addresses: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class SubscriptionRecord:
    """One commerce subscription behind a SKU (``GET /directory/subscriptions``)."""

    subscription_id: str
    commerce_subscription_id: str | None
    sku_id: str
    sku_part_number: str | None
    status: str | None
    total_licenses: int
    is_trial: bool
    created_date_time: datetime | None
    next_lifecycle_date_time: datetime | None
