"""Sync: tenants from Graph into the store, fetched concurrently, landed in group commits.

- :mod:`o365lic.sync.fetch`: one tenant from Graph into memory (columnar), or why it failed.
- :mod:`o365lic.sync.run`: workers fetch, one writer lands finished tenants in group commits.
- :mod:`o365lic.sync.lock`: one sync per database at a time; runs a killed sync left open.

A tenant that fails keeps its previous data and never stops the others.
"""

from __future__ import annotations

from o365lic.sync.fetch import (
    MAX_CALLS_PER_TENANT,
    MINIMAL_USER_SELECT,
    USER_SELECT,
    fetch_tenant,
)
from o365lic.sync.lock import (
    SyncInProgressError,
    is_sync_running,
    recover_interrupted_runs,
    sync_lock,
)
from o365lic.sync.run import (
    BACKGROUND_NICENESS,
    GROUP_SECONDS,
    GROUP_SIZE,
    SyncResultOutcome,
    TenantSyncResult,
    run_in_background,
    select_tenants,
    sync_tenants,
)

__all__ = [
    "BACKGROUND_NICENESS",
    "GROUP_SECONDS",
    "GROUP_SIZE",
    "MAX_CALLS_PER_TENANT",
    "MINIMAL_USER_SELECT",
    "USER_SELECT",
    "SyncInProgressError",
    "SyncResultOutcome",
    "TenantSyncResult",
    "fetch_tenant",
    "is_sync_running",
    "recover_interrupted_runs",
    "run_in_background",
    "select_tenants",
    "sync_lock",
    "sync_tenants",
]
