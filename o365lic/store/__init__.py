"""DuckDB store of the flexible-asset model (SPEC section 8)."""

from __future__ import annotations

from o365lic.store.assets import (
    LockedError,
    apply_tenant_sync,
    ensure_license_type,
    load_free_skus,
    load_product_names,
)
from o365lic.store.database import Store, StoreBusyError, StoreError
from o365lic.store.integrations import (
    IntegrationError,
    add_integration,
    ensure_organization,
    get_integration,
    list_integrations,
    list_organizations,
    update_integration,
)
from o365lic.store.records import (
    DisconnectMode,
    Integration,
    IntegrationStatus,
    RunOutcome,
    SubscriptionRecord,
    TenantInfo,
    UserRecord,
)
from o365lic.store.runs import fail_run, mark_interrupted_runs, stage_users, start_run
from o365lic.store.schema import LICENSE_TYPE_NAME, SCHEMA_VERSION

__all__ = [
    "DisconnectMode",
    "Integration",
    "IntegrationError",
    "IntegrationStatus",
    "LICENSE_TYPE_NAME",
    "LockedError",
    "RunOutcome",
    "SCHEMA_VERSION",
    "Store",
    "StoreBusyError",
    "StoreError",
    "SubscriptionRecord",
    "TenantInfo",
    "UserRecord",
    "add_integration",
    "apply_tenant_sync",
    "ensure_license_type",
    "ensure_organization",
    "fail_run",
    "get_integration",
    "list_integrations",
    "list_organizations",
    "load_free_skus",
    "load_product_names",
    "mark_interrupted_runs",
    "stage_users",
    "start_run",
    "update_integration",
]
