"""Organizations and integrations (connected tenants): connect, list, settings."""

from __future__ import annotations

from typing import Any

import duckdb

from o365lic.store.audit import record_audit
from o365lic.store.database import Store
from o365lic.store.records import Integration, MatchState
from o365lic.text import clean_name

__all__ = [
    "DEFAULT_INTERVAL_MINUTES",
    "MAX_INTERVAL_MINUTES",
    "IntegrationError",
    "add_integration",
    "any_connected",
    "check_interval",
    "connected_integration_id",
    "ensure_organization",
    "find_tenant",
    "get_integration",
    "list_integrations",
    "list_organizations",
    "organization_name",
    "tenant_subject",
    "update_integration",
]

#: How often a newly connected tenant is due (``sync --due``), in minutes (the schema's column
#: default says the same, in the shipped migration).
DEFAULT_INTERVAL_MINUTES = 60
#: The longest sync interval: one year, in minutes.
MAX_INTERVAL_MINUTES = 525_600


class IntegrationError(ValueError):
    """A request about a tenant that cannot be carried out; the message says why."""


def check_interval(minutes: int) -> int:
    """``minutes`` when it is a whole number from 1 to :data:`MAX_INTERVAL_MINUTES`, else IntegrationError."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_INTERVAL_MINUTES:
        raise IntegrationError(
            f"the sync interval must be at least one minute and at most {MAX_INTERVAL_MINUTES} minutes "
            f"(one year), in whole minutes, not {minutes}"
        )
    return minutes


def tenant_subject(con: duckdb.DuckDBPyConnection, integration_id: int) -> str:
    """An integration in words for the audit log: its tenant id and organization (or tenant) name."""
    row = con.execute(
        "SELECT i.tenant_id, coalesce(o.name, i.tenant_name, i.default_domain) FROM integrations i "
        "LEFT JOIN organizations o ON o.id = i.organization_id WHERE i.id = ?", [integration_id]
    ).fetchone()
    if not row:
        return f"integration {integration_id}"
    return f"tenant {row[0]}" + (f" ({row[1]})" if row[1] else "")


#: Each field of :class:`Integration` and the SQL that reads it: the one column list of
#: :data:`_STATUS_SQL`, whose columns are named after the fields.
_FIELDS: dict[str, str] = {
    "id": "i.id",
    "tenant_id": "i.tenant_id",
    "tenant_name": "i.tenant_name",
    "default_domain": "i.default_domain",
    "organization_id": "i.organization_id",
    "organization": "o.name",
    "sync_licenses": "i.sync_licenses",
    "paused": "i.paused",
    "sync_interval_minutes": "i.sync_interval_minutes",
    "status": """CASE WHEN i.paused THEN 'Paused'
            WHEN lr.outcome = 'running' THEN 'Syncing...'
            WHEN lf.outcome IS NULL THEN 'Never synced'
            WHEN lf.outcome = 'ok' THEN 'OK'
            ELSE 'Error' END""",
    "last_sync_at": "lf.last_sync_at",
    "last_success_at": "lf.last_success_at",
    "last_error": "CASE WHEN lf.outcome IN ('error', 'interrupted') THEN lf.error END",
    "match_state": "i.match_state",
    "verified_domains": "i.verified_domains",
}

_STATUS_SQL = f"""
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
SELECT {", ".join(f'{sql} AS "{name}"' for name, sql in _FIELDS.items())}
FROM integrations i
LEFT JOIN organizations o ON o.id = i.organization_id
LEFT JOIN last_run lr ON lr.integration_id = i.id
LEFT JOIN last_finished lf ON lf.integration_id = i.id
WHERE i.disconnected_at IS NULL
"""


def _integration(row: tuple[Any, ...]) -> Integration:
    """An :class:`Integration` from a row of :data:`_STATUS_SQL`, field by field name."""
    value = dict(zip(_FIELDS, row, strict=True))
    value.update(sync_licenses=bool(value["sync_licenses"]), paused=bool(value["paused"]),
                 sync_interval_minutes=int(value["sync_interval_minutes"]),
                 verified_domains=tuple(value["verified_domains"] or ()))
    return Integration(**value)


def list_integrations(store: Store, match_state: MatchState | None = None) -> list[Integration]:
    """Connected tenants (optionally only those in one match state), by organization and id."""
    clause, params = (" AND i.match_state = ?", [match_state]) if match_state else ("", [])
    rows = store.rows(_STATUS_SQL + clause + " ORDER BY lower(o.name) NULLS LAST, lower(i.tenant_name), i.tenant_id",
                      params)
    return [_integration(r) for r in rows]


def any_connected(store: Store) -> bool:
    """Whether any tenant is connected: one cheap look, not every tenant's status."""
    return bool(store.scalar("SELECT EXISTS (SELECT 1 FROM integrations WHERE disconnected_at IS NULL)"))


def get_integration(store: Store, tenant_id: str) -> Integration | None:
    """The connected tenant with this id, or None."""
    rows = store.rows(_STATUS_SQL + " AND i.tenant_id = ?", [tenant_id.strip().lower()])
    return _integration(rows[0]) if rows else None


def find_tenant(store: Store, text: str) -> str | None:
    """The tenant id of the connected (or discovered) tenant whose id, default domain or one of
    whose verified domains is ``text``; None when no stored tenant has it (no network call)."""
    key = text.strip().lower()
    if not key:
        return None
    rows = store.rows(
        "SELECT tenant_id FROM integrations WHERE disconnected_at IS NULL AND (tenant_id = ? "
        "OR lower(default_domain) = ? OR list_contains(string_split(lower(array_to_string("
        "coalesce(verified_domains, []::VARCHAR[]), ',')), ','), ?)) "
        "ORDER BY tenant_id = ? DESC, lower(default_domain) = ? DESC, id LIMIT 1",
        [key, key, key, key, key],
    )
    return str(rows[0][0]) if rows else None


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


def organization_name(name: str | None) -> str:
    """The organization name as it is kept (control characters removed), else IntegrationError."""
    clean = clean_name(name)
    if not clean:
        if name and name.strip():
            raise IntegrationError("an organization name must have printable characters, "
                                   "not only control characters")
        raise IntegrationError("an organization needs a name")
    return clean


def _ensure_organization(
    con: duckdb.DuckDBPyConnection, name: str, *, created_by_integration: bool = False
) -> tuple[int, bool]:
    clean = organization_name(name)
    row = con.execute(
        "SELECT id FROM organizations WHERE lower(name) = lower(?) ORDER BY id LIMIT 1", [clean]
    ).fetchone()
    if row:
        return int(row[0]), False
    row = con.execute(
        "INSERT INTO organizations (name, created_by_integration) VALUES (?, ?) RETURNING id",
        [clean, created_by_integration],
    ).fetchone()
    assert row is not None
    return int(row[0]), True


def ensure_organization(
    con: duckdb.DuckDBPyConnection, name: str, *, created_by_integration: bool = False
) -> int:
    """The id of the organization called ``name`` (case-insensitive, control characters
    removed), created if missing; IntegrationError when nothing printable is left."""
    return _ensure_organization(con, name, created_by_integration=created_by_integration)[0]


def _adopt_kept_data(con: duckdb.DuckDBPyConnection, tenant: str, integration_id: int, org_id: int) -> int:
    """Give a reconnected tenant the data it kept at a keep-data disconnect, when it is
    connected to the organization that data belongs to. Data of another organization stays
    there, unsynced. Returns how many license assets were taken over."""
    kept = "(SELECT id FROM integrations WHERE tenant_id = ? AND disconnected_at IS NOT NULL)"
    if not con.execute(f"SELECT count(*) FROM {kept}", [tenant]).fetchone()[0]:  # type: ignore[index]
        return 0  # never disconnected: nothing kept (one query, not five)
    row = con.execute(
        f"SELECT count(*) FROM flexible_assets WHERE organization_id = ? AND integration_id IN {kept}",
        [org_id, tenant]).fetchone()
    assets = int(row[0]) if row else 0
    for table in ("flexible_assets", "license_snapshots", "contacts"):
        con.execute(f"UPDATE {table} SET integration_id = ? WHERE organization_id = ? AND integration_id IN {kept}",
                    [integration_id, org_id, tenant])
    con.execute(
        "UPDATE subscriptions SET integration_id = ? WHERE integration_id IN "
        "(SELECT id FROM integrations WHERE tenant_id = ? AND disconnected_at IS NOT NULL AND organization_id = ?)",
        [integration_id, tenant, org_id])
    return assets


def add_integration(
    store: Store,
    tenant_id: str,
    organization: str,
    *,
    tenant_name: str | None = None,
    default_domain: str | None = None,
    sync_interval_minutes: int = DEFAULT_INTERVAL_MINUTES,
    actor: str = "o365lic",
) -> Integration:
    """Connect a tenant (a GUID) and match it to ``organization`` (created if needed).

    A discovered tenant is matched in place. A tenant disconnected earlier starts fresh, as a
    new integration (``Never synced`` until its first sync): the data it kept stays with the
    organization it belongs to, and is taken over only when that is the organization chosen now.
    """
    tenant = tenant_id.strip().lower()
    check_interval(sync_interval_minutes)
    name = clean_name(tenant_name) or None
    domain = clean_name(default_domain).lower() or None
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
        org_id, created = _ensure_organization(con, organization, created_by_integration=False)
        adopted = 0
        if existing:  # a discovered tenant waiting for a match: match it
            integration_id = int(existing[0])
            con.execute(
                "UPDATE integrations SET organization_id = ?, match_state = 'matched', "
                "tenant_name = coalesce(?, tenant_name), default_domain = coalesce(?, default_domain), "
                "sync_interval_minutes = ? WHERE id = ?",
                [org_id, name, domain, sync_interval_minutes, integration_id],
            )
        else:
            row = con.execute(
                "INSERT INTO integrations (tenant_id, tenant_name, default_domain, organization_id, "
                "sync_interval_minutes) VALUES (?, ?, ?, ?, ?) RETURNING id",
                [tenant, name, domain, org_id, sync_interval_minutes],
            ).fetchone()
            assert row is not None
            integration_id = int(row[0])
            adopted = _adopt_kept_data(con, tenant, integration_id, org_id)
        org_name = con.execute("SELECT name FROM organizations WHERE id = ?", [org_id]).fetchone()[0]  # type: ignore[index]
        detail = f"matched to {org_name}" + (" (organization created)" if created else "")
        if adopted:
            detail += f"; {adopted} kept licenses of {org_name} taken over"
        record_audit(con, actor, "connect", tenant_subject(con, integration_id), detail)
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
    actor: str = "o365lic",
) -> Integration:
    """Change a connected tenant's sync settings; each change is written to the audit log."""
    tenant = tenant_id.strip().lower()
    if sync_interval_minutes is not None:
        check_interval(sync_interval_minutes)
    with store.transaction() as con:
        integration_id = connected_integration_id(con, tenant)
        row = con.execute("SELECT sync_licenses, paused, sync_interval_minutes FROM integrations WHERE id = ?",
                          [integration_id]).fetchone()
        assert row is not None
        before = {"sync_licenses": bool(row[0]), "paused": bool(row[1]), "sync_interval_minutes": int(row[2])}
        after = {"sync_licenses": sync_licenses, "paused": paused, "sync_interval_minutes": sync_interval_minutes}
        sets = [(k, v) for k, v in after.items() if v is not None and v != before[k]]
        if not sets:
            return get_integration(store, tenant)  # type: ignore[return-value]
        con.execute(
            "UPDATE integrations SET " + ", ".join(f"{k} = ?" for k, _ in sets) + " WHERE id = ?",
            [v for _, v in sets] + [integration_id],
        )
        subject = tenant_subject(con, integration_id)
        for key, value in sets:
            if key == "paused":
                record_audit(con, actor, "pause" if value else "resume", subject,
                             "sync paused" if value else "sync resumed")
            elif key == "sync_interval_minutes":
                record_audit(con, actor, "interval", subject,
                             f"interval {before[key]} → {value} minutes")
            else:
                record_audit(con, actor, "sync settings", subject,
                             f"Licenses {'on' if before[key] else 'off'} → {'on' if value else 'off'}")
    integration = get_integration(store, tenant)
    assert integration is not None
    return integration
