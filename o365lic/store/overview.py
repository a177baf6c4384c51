"""The connected tenants as one table, read set-based: a page of rows, and counts by status.

One SQL statement each, straight to a DataFrame (no object per tenant): the pages show a
bounded page of the tenants (searched, filtered by status, problems first if asked) and the
counts above it, whatever the number of tenants. Each tenant's status is the one
:func:`o365lic.store.list_integrations` gives (the same SQL).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

import pandas as pd

from o365lic.store.database import Store
from o365lic.store.integrations import _STATUS_SQL
from o365lic.store.records import IntegrationStatus, MatchState

__all__ = ["ATTENTION_ORDER", "TENANT_COLUMNS", "TenantOrder", "tenant_status_counts", "tenants_page"]

#: The columns of :func:`tenants_page` (those of ``reports.integrations_table``).
TENANT_COLUMNS = ["organization", "tenant_id", "tenant_name", "domain", "status", "last_sync", "last_success",
                  "last_error", "licenses", "paused", "interval_minutes", "warning"]
#: Statuses from the one that most needs a look to the one that needs none.
ATTENTION_ORDER: tuple[IntegrationStatus, ...] = ("Error", "Syncing...", "Never synced", "Paused", "OK")
#: ``organization``: by organization, tenant; ``attention``: by :data:`ATTENTION_ORDER` first.
TenantOrder = Literal["organization", "attention"]

_BY_ORGANIZATION = "lower(organization) NULLS LAST, lower(tenant_name), tenant_id"


def _tenants_sql(match_state: MatchState | None, hidden: Collection[str], search: str | None,
                 status: str | None) -> tuple[str, list[Any]]:
    """The tenants (one row each, :data:`TENANT_COLUMNS`) that pass the filters, unordered."""
    params: list[Any] = []
    states = ""
    if match_state:
        states = " AND i.match_state = ?"
        params.append(match_state)
    clauses = ["TRUE"]
    if hidden:
        clauses.append("(organization IS NULL OR organization NOT IN (SELECT unnest(?::VARCHAR[])))")
        params.append(sorted(hidden))
    text = (search or "").strip().lower()
    if text:
        clauses.append("contains(lower(concat_ws(' ', organization, tenant_name, domain, tenant_id)), ?)")
        params.append(text)
    if status:
        clauses.append("status = ?")
        params.append(status)
    sql = f"""
        SELECT * FROM (
            SELECT s.organization, s.tenant_id, s.tenant_name, s.default_domain AS domain, s.status,
                   s.last_sync_at AS last_sync, s.last_success_at AS last_success, s.last_error,
                   s.sync_licenses AS licenses, s.paused, s.sync_interval_minutes AS interval_minutes,
                   w.warning
            FROM ({_STATUS_SQL}{states}) s
            LEFT JOIN (
                SELECT r.tenant_id, r.warning FROM sync_runs r
                WHERE r.warning IS NOT NULL AND r.id IN
                      (SELECT max(id) FROM sync_runs WHERE outcome <> 'running' GROUP BY tenant_id)
            ) w ON w.tenant_id = s.tenant_id
        ) t
        WHERE {" AND ".join(clauses)}"""
    return sql, params


def tenants_page(
    store: Store, *, match_state: MatchState | None = None, hidden: Collection[str] = (),
    search: str | None = None, status: str | None = None, order: TenantOrder = "organization",
    limit: int | None = None, offset: int = 0,
) -> pd.DataFrame:
    """Connected tenants (:data:`TENANT_COLUMNS`), at most ``limit`` of them from ``offset``.

    ``hidden``: organization names left out (those hidden from the viewer); ``search``: a piece
    of the organization, tenant name, domain or tenant id (any case); ``status``: one status.
    """
    sql, params = _tenants_sql(match_state, hidden, search, status)
    ranks = " ".join(f"WHEN '{s}' THEN {n}" for n, s in enumerate(ATTENTION_ORDER))
    ordering = _BY_ORGANIZATION if order == "organization" else f"CASE status {ranks} END, {_BY_ORGANIZATION}"
    sql += f" ORDER BY {ordering}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [max(int(limit), 0), max(int(offset), 0)]
    frame = store.df(sql, params)
    return frame.astype({"licenses": bool, "paused": bool})[TENANT_COLUMNS]


def tenant_status_counts(
    store: Store, *, match_state: MatchState | None = None, hidden: Collection[str] = (),
    search: str | None = None,
) -> dict[str, int]:
    """How many tenants (filtered as :func:`tenants_page`) have each status, in :data:`ATTENTION_ORDER`
    (statuses no tenant has are left out)."""
    sql, params = _tenants_sql(match_state, hidden, search, None)
    counts = {str(s): int(n) for s, n in store.rows(f"SELECT status, count(*) FROM ({sql}) GROUP BY status",
                                                     params)}
    return {s: counts[s] for s in ATTENTION_ORDER if s in counts}
