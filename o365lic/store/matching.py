"""Matching tenants to organizations: discovered tenants, suggestions and the match actions.

A tenant is ``matched`` (to an organization: it syncs), ``unmatched`` (waiting for a
decision: not synced) or ``ignored`` (not synced). Every action takes many tenants at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import duckdb

from o365lic.matching import Suggestion, suggest_match
from o365lic.store.audit import record_audit
from o365lic.store.database import Store
from o365lic.store.integrations import (
    IntegrationError,
    connected_integration_id,
    ensure_organization,
    organization_name,
    tenant_subject,
)
from o365lic.store.records import MatchState
from o365lic.text import clean_name

__all__ = [
    "accept_suggested_matches",
    "add_discovered_tenants",
    "create_organizations_for",
    "ignore_tenants",
    "match_tenants",
    "revert_matches",
    "suggestions",
]


def _tenants(tenant_ids: Iterable[str]) -> list[str]:
    wanted = sorted({t.strip().lower() for t in tenant_ids if t and t.strip()})
    if not wanted:
        raise IntegrationError("choose at least one tenant")
    return wanted


def _organization_domains(store: Store) -> dict[int, set[str]]:
    """Domains known per organization: its tenants' verified domains and its contacts' mail."""
    domains: dict[int, set[str]] = {}
    for org_id, domain in store.rows(
        """
        SELECT organization_id, lower(unnest(verified_domains)) FROM integrations
        WHERE organization_id IS NOT NULL AND match_state = 'matched'
        UNION
        SELECT organization_id, lower(split_part(coalesce(mail, user_principal_name), '@', 2)) FROM contacts
        WHERE coalesce(mail, user_principal_name) LIKE '%@%'
        """
    ):
        if domain:
            domains.setdefault(int(org_id), set()).add(str(domain))
    return domains


def suggestions(store: Store) -> dict[str, Suggestion]:
    """Tenant id -> suggested organization, for every unmatched tenant that has one."""
    organizations = [(int(i), str(n)) for i, n in store.rows("SELECT id, name FROM organizations")]
    if not organizations:
        return {}
    org_domains = _organization_domains(store)
    found: dict[str, Suggestion] = {}
    for tenant_id, name, default_domain, verified in store.rows(
        "SELECT tenant_id, tenant_name, default_domain, verified_domains FROM integrations "
        "WHERE match_state = 'unmatched' AND disconnected_at IS NULL"
    ):
        domains = list(verified or []) + ([default_domain] if default_domain else [])
        suggestion = suggest_match(name, domains, organizations, org_domains)
        if suggestion:
            found[str(tenant_id)] = suggestion
    return found


def add_discovered_tenants(
    store: Store, tenants: Sequence[Mapping[str, str]], *, actor: str = "o365lic"
) -> list[tuple[str, MatchState]]:
    """Record tenants found by partner discovery; an exact organization name matches at once.

    ``tenants`` are dicts with ``tenant_id``, ``name`` and ``domain`` (names are kept without
    control characters). Tenants already known are left as they are. Returns (tenant id,
    match state) of the tenants added.
    """
    added: list[tuple[str, MatchState]] = []
    with store.transaction() as con:
        # every tenant ever connected counts as known: one disconnected on purpose is not
        # brought back by discovery (``tenants add`` reconnects it as a new integration)
        known = {str(r[0]) for r in con.execute("SELECT tenant_id FROM integrations").fetchall()}
        for tenant in tenants:
            tenant_id = clean_name(tenant["tenant_id"]).lower()
            if not tenant_id or tenant_id in known:
                continue
            name = clean_name(tenant.get("name")) or None
            domain = clean_name(tenant.get("domain")).lower() or None
            row = con.execute(
                "SELECT id, name FROM organizations WHERE lower(name) = lower(?) ORDER BY id LIMIT 1", [name or ""]
            ).fetchone() if name else None
            state: MatchState = "matched" if row else "unmatched"
            inserted = con.execute(
                "INSERT INTO integrations (tenant_id, tenant_name, default_domain, verified_domains, "
                "organization_id, match_state, discovered) VALUES (?, ?, ?, ?, ?, ?, TRUE) RETURNING id",
                [tenant_id, name, domain, [domain] if domain else [], row[0] if row else None, state],
            ).fetchone()
            if row and inserted:
                record_audit(con, actor, "match", tenant_subject(con, int(inserted[0])),
                             f"discovered and matched to {row[1]} (same name)")
            known.add(tenant_id)
            added.append((tenant_id, state))
    return added


def _set_match(
    con: duckdb.DuckDBPyConnection, tenant_id: str, organization_id: int | None, state: MatchState, actor: str,
) -> None:
    """Set one connected tenant's match and log it: Match To, Create, Accept, Ignore or Revert."""
    integration_id = connected_integration_id(con, tenant_id)
    before = tenant_subject(con, integration_id)
    con.execute("UPDATE integrations SET organization_id = ?, match_state = ? WHERE id = ?",
                [organization_id, state, integration_id])
    if state == "matched":
        row = con.execute("SELECT name FROM organizations WHERE id = ?", [organization_id]).fetchone()
        detail = f"matched to {row[0] if row else organization_id}"
        subject = tenant_subject(con, integration_id)
    else:
        detail = "ignored: never synced" if state == "ignored" else "match reverted: unmatched"
        subject = before
    record_audit(con, actor, "match", subject, detail)


def accept_suggested_matches(store: Store, tenant_ids: Iterable[str], *, actor: str = "o365lic") -> int:
    """Accept Suggested Match: match each tenant to its suggested organization."""
    wanted = _tenants(tenant_ids)
    suggested = suggestions(store)
    missing = [t for t in wanted if t not in suggested]
    if missing:
        raise IntegrationError(f"no suggested match for {', '.join(missing)}")
    with store.transaction() as con:
        for tenant_id in wanted:
            _set_match(con, tenant_id, suggested[tenant_id].organization_id, "matched", actor)
    return len(wanted)


def create_organizations_for(store: Store, tenant_ids: Iterable[str], *, actor: str = "o365lic") -> int:
    """Create Organization: a new organization named like each tenant, matched to it."""
    wanted = _tenants(tenant_ids)
    with store.transaction() as con:  # all tenants or none
        for tenant_id in wanted:
            integration_id = connected_integration_id(con, tenant_id)
            row = con.execute("SELECT coalesce(tenant_name, default_domain, tenant_id) FROM integrations "
                              "WHERE id = ?", [integration_id]).fetchone()
            assert row is not None
            org_id = ensure_organization(con, str(row[0]), created_by_integration=True)
            _set_match(con, tenant_id, org_id, "matched", actor)
    return len(wanted)


def match_tenants(store: Store, tenant_ids: Iterable[str], organization: str, *, actor: str = "o365lic") -> int:
    """Match To / Change Match: match the tenants to an existing organization by name."""
    wanted = _tenants(tenant_ids)
    name = organization_name(organization)
    with store.transaction() as con:
        row = con.execute("SELECT id FROM organizations WHERE lower(name) = lower(?) ORDER BY id LIMIT 1",
                          [name]).fetchone()
        if not row:
            raise IntegrationError(f"no organization named {name!r}")
        for tenant_id in wanted:
            _set_match(con, tenant_id, int(row[0]), "matched", actor)
    return len(wanted)


def ignore_tenants(store: Store, tenant_ids: Iterable[str], *, actor: str = "o365lic") -> int:
    """Ignore: the tenants are neither matched nor synced."""
    wanted = _tenants(tenant_ids)
    with store.transaction() as con:
        for tenant_id in wanted:
            _set_match(con, tenant_id, None, "ignored", actor)
    return len(wanted)


def revert_matches(store: Store, tenant_ids: Iterable[str], *, actor: str = "o365lic") -> int:
    """Revert Match: back to unmatched (an ignored tenant is un-ignored). Its data stays."""
    wanted = _tenants(tenant_ids)
    with store.transaction() as con:
        for tenant_id in wanted:
            _set_match(con, tenant_id, None, "unmatched", actor)
    return len(wanted)
