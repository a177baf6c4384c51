"""Organizations and integrations (connected tenants): connect, list, settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb

from o365lic.store.audit import record_audit, record_audits
from o365lic.store.database import Store
from o365lic.store.records import Integration, MatchState
from o365lic.text import clean_name

__all__ = [
    "DEFAULT_INTERVAL_MINUTES",
    "MAX_INTERVAL_MINUTES",
    "IntegrationError",
    "NewIntegration",
    "add_integration",
    "add_integrations",
    "any_connected",
    "check_interval",
    "connected_integration_id",
    "ensure_organization",
    "find_tenant",
    "get_integration",
    "list_integrations",
    "list_organizations",
    "organization_name",
    "organization_named",
    "tenant_subject",
    "update_integration",
]

#: How often a newly connected tenant is due (``sync --due``), in minutes (the schema's column
#: default says the same, in the shipped migration).
DEFAULT_INTERVAL_MINUTES = 60
#: The longest sync interval: one year, in minutes.
MAX_INTERVAL_MINUTES = 525_600


_T = TypeVar("_T")
_R = TypeVar("_R")


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
    return _subject(str(row[0]), row[1])


def _subject(tenant_id: str, name: str | None) -> str:
    """The words of :func:`tenant_subject` for a tenant and its organization (or tenant) name."""
    return f"tenant {tenant_id}" + (f" ({name})" if name else "")


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


def organization_named(store: Store, name: str | None) -> str | None:
    """The exact name of the organization a person typed as ``name`` (any case; spaces, control
    and format characters ignored as :func:`~o365lic.text.clean_name` ignores them), or None."""
    def key(text: str) -> str:
        return " ".join(clean_name(text).split()).lower()

    wanted = key(name or "")
    if not wanted:
        return None
    return next((n for _, n in list_organizations(store) if key(n) == wanted), None)


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


def _organization_ids(
    con: duckdb.DuckDBPyConnection, names: Iterable[str]
) -> dict[str, tuple[str, int | None, str | None]]:
    """The one rule for finding an organization by name: for each cleaned name, its key
    (``lower(name)``, as the database lowers it) and the id and stored name of the organization
    with that key and the lowest id, or None twice when there is none (one query for all)."""
    rows = con.execute(
        "SELECT w.name, w.key, min(o.id), arg_min(o.name, o.id) FROM "
        "(SELECT DISTINCT name, lower(name) AS key FROM unnest(?::VARCHAR[]) AS u(name)) w "
        "LEFT JOIN organizations o ON lower(o.name) = w.key GROUP BY w.name, w.key",
        [list(dict.fromkeys(names))],
    ).fetchall()
    return {str(r[0]): (str(r[1]), None if r[2] is None else int(r[2]), r[3]) for r in rows}


def _insert_organizations(
    con: duckdb.DuckDBPyConnection, names: Sequence[str], *, created_by_integration: bool
) -> dict[str, int]:
    """Create organizations of these (cleaned, distinct) names, ids in this order: name -> id."""
    if not names:
        return {}
    rows = con.execute(
        "INSERT INTO organizations (name, created_by_integration) SELECT name, ? FROM "
        "unnest(?::VARCHAR[]) WITH ORDINALITY AS u(name, k) ORDER BY k RETURNING id, name",
        [created_by_integration, list(names)],
    ).fetchall()
    return {str(r[1]): int(r[0]) for r in rows}


def _ensure_organization(
    con: duckdb.DuckDBPyConnection, name: str, *, created_by_integration: bool = False
) -> tuple[int, bool]:
    clean = organization_name(name)
    _, found, _ = _organization_ids(con, [clean])[clean]
    if found is not None:
        return found, False
    return _insert_organizations(con, [clean], created_by_integration=created_by_integration)[clean], True


def ensure_organization(
    con: duckdb.DuckDBPyConnection, name: str, *, created_by_integration: bool = False
) -> int:
    """The id of the organization called ``name`` (case-insensitive, control characters
    removed), created if missing; IntegrationError when nothing printable is left."""
    return _ensure_organization(con, name, created_by_integration=created_by_integration)[0]


def _take_over_kept_data(con: duckdb.DuckDBPyConnection, tenant: str, integration_id: int, org_id: int) -> int:
    """Give a reconnected tenant (one disconnected earlier) the data it kept at a keep-data
    disconnect, when it is connected to the organization that data belongs to. Data of another
    organization stays there, unsynced. Returns how many license assets were taken over."""
    kept = "(SELECT id FROM integrations WHERE tenant_id = ? AND disconnected_at IS NOT NULL)"
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


def _connect_detail(org_name: str, created: bool, adopted: int) -> str:
    """The audit detail of a connect: the organization matched, created, kept licenses taken over."""
    detail = f"matched to {org_name}" + (" (organization created)" if created else "")
    if adopted:
        detail += f"; {adopted} kept licenses of {org_name} taken over"
    return detail


def _attempt(check: Callable[[_T], _R], value: _T) -> _R | IntegrationError:
    """``check(value)``, or the IntegrationError it raises."""
    try:
        return check(value)
    except IntegrationError as exc:
        return exc


@dataclass(frozen=True)
class NewIntegration:
    """A tenant to connect (:func:`add_integrations`): its GUID, the organization to match it to
    (created if needed) and what else is known of it."""

    tenant_id: str
    organization: str
    tenant_name: str | None = None
    default_domain: str | None = None
    sync_interval_minutes: int = DEFAULT_INTERVAL_MINUTES


@dataclass
class _Planned:
    """One row of :func:`add_integrations` that will connect."""

    tenant: str
    name: str | None
    domain: str | None
    minutes: int
    org_key: str
    created: bool
    existing_id: int | None  # a discovered tenant, matched in place
    org_id: int = 0
    org_name: str = ""
    integration_id: int = 0
    adopted: int = 0


def add_integrations(
    store: Store, tenants: Sequence[NewIntegration], *, actor: str = "o365lic"
) -> list[Integration | IntegrationError]:
    """Connect many tenants in one transaction, each as :func:`add_integration` connects one, with
    a number of statements that does not grow with the rows (except the rare tenant that was
    disconnected earlier, whose kept data is looked at on its own).

    Returns, for each row in order, its :class:`Integration` or the :class:`IntegrationError`
    that refused it (a refused row changes nothing). Rows are taken in order, as one at a time:
    the same tenant twice connects the first and refuses the second, and one new organization
    serves every row that names it (in any case). A database error rolls the whole batch back.
    """
    keys = [t.tenant_id.strip().lower() for t in tenants]
    intervals = [_attempt(check_interval, t.sync_interval_minutes) for t in tenants]
    results: list[Integration | IntegrationError | None] = [
        r if isinstance(r, IntegrationError) else None for r in intervals]
    if all(r is not None for r in results):
        return results  # type: ignore[return-value] # nothing to ask the database
    names = [_attempt(organization_name, t.organization) for t in tenants]
    with store.transaction() as con:
        matched: dict[str, str] = {}  # tenant -> the organization it is matched to (for the refusal)
        discovered: dict[str, int] = {}  # tenant -> integration id of a discovered tenant, waiting for a match
        kept: set[str] = set()  # tenants disconnected earlier (they may have kept data)
        for tenant, integration_id, org, state, gone in con.execute(
            "SELECT i.tenant_id, i.id, o.name, i.match_state, i.disconnected_at IS NOT NULL FROM integrations i "
            "LEFT JOIN organizations o ON o.id = i.organization_id WHERE i.tenant_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(dict.fromkeys(keys))],
        ).fetchall():
            if gone:
                kept.add(tenant)
            elif state == "matched":
                matched[tenant] = org or "no organization"
            else:
                discovered[tenant] = int(integration_id)
        orgs = _organization_ids(con, [n for n in names if isinstance(n, str)])
        by_key = {key: (org_id, org_name) for key, org_id, org_name in orgs.values() if org_id is not None}
        new_orgs: dict[str, str] = {}  # key -> name of an organization this batch creates
        planned: list[tuple[int, _Planned]] = []
        for n, (t, tenant, name) in enumerate(zip(tenants, keys, names, strict=True)):
            if results[n] is not None:  # refused in the order one connect checks: interval, tenant, name
                continue
            if tenant in matched:
                results[n] = IntegrationError(f"tenant {tenant} is already connected (matched to {matched[tenant]})")
                continue
            if isinstance(name, IntegrationError):
                results[n] = name
                continue
            key = orgs[name][0]
            created = key not in by_key and key not in new_orgs
            if created:
                new_orgs[key] = name
            row = _Planned(tenant, clean_name(t.tenant_name) or None, clean_name(t.default_domain).lower() or None,
                           t.sync_interval_minutes, key, created, discovered.pop(tenant, None))
            matched[tenant] = by_key[key][1] if key in by_key else new_orgs[key]
            planned.append((n, row))
        ids = _insert_organizations(con, list(new_orgs.values()), created_by_integration=False)
        by_key.update({key: (ids[name], name) for key, name in new_orgs.items()})
        for _, row in planned:
            row.org_id, row.org_name = by_key[row.org_key]
        _write_connects(con, [row for _, row in planned], kept)
        record_audits(con, actor, "connect", [(_subject(row.tenant, row.org_name),
                                               _connect_detail(row.org_name, row.created, row.adopted))
                                              for _, row in planned])
        status = {i.tenant_id: i for i in map(_integration, con.execute(
            _STATUS_SQL + " AND i.tenant_id IN (SELECT unnest(?::VARCHAR[]))",
            [[row.tenant for _, row in planned]]).fetchall())}
    for n, row in planned:
        results[n] = status[row.tenant]
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _write_connects(con: duckdb.DuckDBPyConnection, rows: Sequence[_Planned], kept: set[str]) -> None:
    """Match the discovered tenants of ``rows`` in place and insert the others (ids in row
    order); a tenant disconnected earlier takes over the data it kept."""
    found = [r for r in rows if r.existing_id is not None]
    if found:
        con.execute(
            "UPDATE integrations SET organization_id = v.org_id, match_state = 'matched', "
            "tenant_name = coalesce(v.name, integrations.tenant_name), "
            "default_domain = coalesce(v.domain, integrations.default_domain), sync_interval_minutes = v.minutes "
            "FROM (SELECT unnest(?::INTEGER[]) AS id, unnest(?::INTEGER[]) AS org_id, unnest(?::VARCHAR[]) AS name, "
            "unnest(?::VARCHAR[]) AS domain, unnest(?::INTEGER[]) AS minutes) v WHERE integrations.id = v.id",
            [[r.existing_id for r in found], [r.org_id for r in found], [r.name for r in found],
             [r.domain for r in found], [r.minutes for r in found]],
        )
        for r in found:
            r.integration_id = int(r.existing_id)  # type: ignore[arg-type]
    new = [r for r in rows if r.existing_id is None]
    if not new:
        return
    inserted = con.execute(
        "INSERT INTO integrations (tenant_id, tenant_name, default_domain, organization_id, sync_interval_minutes) "
        "SELECT tenant, name, domain, org_id, minutes FROM (SELECT unnest(?::VARCHAR[]) AS tenant, "
        "unnest(?::VARCHAR[]) AS name, unnest(?::VARCHAR[]) AS domain, unnest(?::INTEGER[]) AS org_id, "
        "unnest(?::INTEGER[]) AS minutes, unnest(range(?)) AS k) ORDER BY k RETURNING id, tenant_id",
        [[r.tenant for r in new], [r.name for r in new], [r.domain for r in new], [r.org_id for r in new],
         [r.minutes for r in new], len(new)],
    ).fetchall()
    ids = {str(tenant): int(integration_id) for integration_id, tenant in inserted}
    for r in new:
        r.integration_id = ids[r.tenant]
        if r.tenant in kept:
            r.adopted = _take_over_kept_data(con, r.tenant, r.integration_id, r.org_id)


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
    Anything refused raises IntegrationError and changes nothing (:func:`add_integrations` of one).
    """
    (result,) = add_integrations(store, [NewIntegration(tenant_id, organization, tenant_name, default_domain,
                                                        sync_interval_minutes)], actor=actor)
    if isinstance(result, IntegrationError):
        raise result
    return result


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
