"""Organizations and integrations (connected tenants): connect, list, settings."""

from __future__ import annotations

from typing import Any

import duckdb

from o365lic.store.database import Store
from o365lic.store.records import Integration, MatchState

__all__ = [
    "IntegrationError",
    "add_integration",
    "connected_integration_id",
    "ensure_organization",
    "get_integration",
    "list_integrations",
    "list_organizations",
    "update_integration",
]


class IntegrationError(ValueError):
    """A request about a tenant that cannot be carried out; the message says why."""


_STATUS_SQL = """
WITH last_run AS (
    SELECT integration_id,
           arg_max(outcome, id) AS outcome,
           arg_max(error, id) AS error
    FROM sync_runs GROUP BY integration_id
), last_finished AS (
    SELECT integration_id,
           arg_max(outcome, id) AS outcome,
           arg_max(error, id) AS error,
           max(finished_at) AS last_sync_at,
           max(finished_at) FILTER (WHERE outcome = 'ok') AS last_success_at
    FROM sync_runs WHERE outcome <> 'running' GROUP BY integration_id
)
SELECT i.id, i.tenant_id, i.tenant_name, i.default_domain, i.organization_id, o.name,
       i.sync_licenses, i.paused, i.sync_interval_minutes,
       CASE WHEN i.paused THEN 'Paused'
            WHEN lr.outcome = 'running' THEN 'Syncing...'
            WHEN lf.outcome IS NULL THEN 'Never synced'
            WHEN lf.outcome = 'ok' THEN 'OK'
            ELSE 'Error' END AS status,
       lf.last_sync_at, lf.last_success_at,
       CASE WHEN lf.outcome IN ('error', 'interrupted') THEN lf.error END AS last_error,
       i.match_state, i.verified_domains
FROM integrations i
LEFT JOIN organizations o ON o.id = i.organization_id
LEFT JOIN last_run lr ON lr.integration_id = i.id
LEFT JOIN last_finished lf ON lf.integration_id = i.id
WHERE i.disconnected_at IS NULL
"""


def _integration(row: tuple[Any, ...]) -> Integration:
    return Integration(
        id=row[0], tenant_id=row[1], tenant_name=row[2], default_domain=row[3],
        organization_id=row[4], organization=row[5], sync_licenses=bool(row[6]),
        paused=bool(row[7]), sync_interval_minutes=int(row[8]), status=row[9],
        last_sync_at=row[10], last_success_at=row[11], last_error=row[12],
        match_state=row[13], verified_domains=tuple(row[14] or ()),
    )


def list_integrations(store: Store, match_state: MatchState | None = None) -> list[Integration]:
    """Connected tenants (optionally only those in one match state), by organization and id."""
    clause, params = (" AND i.match_state = ?", [match_state]) if match_state else ("", [])
    rows = store.rows(_STATUS_SQL + clause + " ORDER BY lower(o.name) NULLS LAST, lower(i.tenant_name), i.tenant_id",
                      params)
    return [_integration(r) for r in rows]


def get_integration(store: Store, tenant_id: str) -> Integration | None:
    """The connected tenant with this id, or None."""
    rows = store.rows(_STATUS_SQL + " AND i.tenant_id = ?", [tenant_id.strip().lower()])
    return _integration(rows[0]) if rows else None


def list_organizations(store: Store) -> list[tuple[int, str]]:
    """(id, name) of every organization, by name."""
    return [(int(r[0]), str(r[1])) for r in store.rows(
        "SELECT id, name FROM organizations ORDER BY lower(name)")]


def connected_integration_id(con: duckdb.DuckDBPyConnection, tenant_id: str) -> int:
    """The id of the connected (not disconnected) integration of ``tenant_id``, else IntegrationError."""
    tenant = tenant_id.strip().lower()
    row = con.execute(
        "SELECT id FROM integrations WHERE tenant_id = ? AND disconnected_at IS NULL", [tenant]
    ).fetchone()
    if not row:
        raise IntegrationError(f"tenant {tenant} is not connected")
    return int(row[0])


def ensure_organization(
    con: duckdb.DuckDBPyConnection, name: str, *, created_by_integration: bool = False
) -> int:
    """The id of the organization called ``name`` (case-insensitive), created if missing."""
    clean = " ".join(name.split())
    if not clean:
        raise IntegrationError("an organization needs a name")
    row = con.execute(
        "SELECT id FROM organizations WHERE lower(name) = lower(?) ORDER BY id LIMIT 1", [clean]
    ).fetchone()
    if row:
        return int(row[0])
    row = con.execute(
        "INSERT INTO organizations (name, created_by_integration) VALUES (?, ?) RETURNING id",
        [clean, created_by_integration],
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_integration(
    store: Store,
    tenant_id: str,
    organization: str,
    *,
    tenant_name: str | None = None,
    default_domain: str | None = None,
    sync_interval_minutes: int = 60,
) -> Integration:
    """Connect a tenant (a GUID) and match it to ``organization`` (created if needed)."""
    tenant = tenant_id.strip().lower()
    if sync_interval_minutes < 1:
        raise IntegrationError("the sync interval must be at least one minute")
    with store.transaction() as con:
        existing = con.execute(
            "SELECT i.id, o.name, i.match_state FROM integrations i "
            "LEFT JOIN organizations o ON o.id = i.organization_id "
            "WHERE i.tenant_id = ? AND i.disconnected_at IS NULL", [tenant]
        ).fetchone()
        if existing and existing[2] == "matched":
            raise IntegrationError(
                f"tenant {tenant} is already connected (matched to {existing[1] or 'no organization'})"
            )
        org_id = ensure_organization(con, organization, created_by_integration=False)
        previous = existing or con.execute(
            "SELECT id FROM integrations WHERE tenant_id = ? ORDER BY id DESC LIMIT 1", [tenant]
        ).fetchone()
        if previous:
            # a discovered tenant, or one disconnected with its data kept: connect it again
            con.execute(
                "UPDATE integrations SET organization_id = ?, match_state = 'matched', disconnected_at = NULL, "
                "tenant_name = coalesce(?, tenant_name), default_domain = coalesce(?, default_domain), "
                "sync_interval_minutes = ? WHERE id = ?",
                [org_id, tenant_name, default_domain, sync_interval_minutes, previous[0]],
            )
        else:
            con.execute(
                "INSERT INTO integrations (tenant_id, tenant_name, default_domain, organization_id, "
                "sync_interval_minutes) VALUES (?, ?, ?, ?, ?)",
                [tenant, tenant_name, default_domain, org_id, sync_interval_minutes],
            )
    integration = get_integration(store, tenant)
    assert integration is not None
    return integration


def update_integration(
    store: Store,
    tenant_id: str,
    *,
    sync_licenses: bool | None = None,
    paused: bool | None = None,
    sync_interval_minutes: int | None = None,
) -> Integration:
    """Change a connected tenant's sync settings."""
    tenant = tenant_id.strip().lower()
    if sync_interval_minutes is not None and sync_interval_minutes < 1:
        raise IntegrationError("the sync interval must be at least one minute")
    changes = {"sync_licenses": sync_licenses, "paused": paused,
               "sync_interval_minutes": sync_interval_minutes}
    sets = [(k, v) for k, v in changes.items() if v is not None]
    with store.transaction() as con:
        integration_id = connected_integration_id(con, tenant)
        if sets:
            con.execute(
                "UPDATE integrations SET " + ", ".join(f"{k} = ?" for k, _ in sets) + " WHERE id = ?",
                [v for _, v in sets] + [integration_id],
            )
    integration = get_integration(store, tenant)
    assert integration is not None
    return integration
