"""Matching tenants to organizations: discovered tenants, suggestions and the match actions.

A tenant is ``matched`` (to an organization: it syncs), ``unmatched`` (waiting for a
decision: not synced) or ``ignored`` (not synced). Every action takes many tenants at once.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from o365lic.matching import Suggestion, suggest_match
from o365lic.store.database import Store
from o365lic.store.integrations import IntegrationError, connected_integration_id, ensure_organization
from o365lic.store.records import MatchState

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


def add_discovered_tenants(store: Store, tenants: Sequence[Mapping[str, str]]) -> list[tuple[str, MatchState]]:
    """Record tenants found by partner discovery; an exact organization name matches at once.

    ``tenants`` are dicts with ``tenant_id``, ``name`` and ``domain``. Tenants already known
    are left as they are. Returns (tenant id, match state) of the tenants added.
    """
    added: list[tuple[str, MatchState]] = []
    with store.transaction() as con:
        # every tenant ever connected counts as known: one disconnected on purpose is not
        # brought back by discovery (``tenants add`` reconnects it, reusing its records)
        known = {str(r[0]) for r in con.execute("SELECT tenant_id FROM integrations").fetchall()}
        for tenant in tenants:
            tenant_id = tenant["tenant_id"].strip().lower()
            if not tenant_id or tenant_id in known:
                continue
            name = (tenant.get("name") or "").strip() or None
            domain = (tenant.get("domain") or "").strip().lower() or None
            row = con.execute(
                "SELECT id FROM organizations WHERE lower(name) = lower(?) ORDER BY id LIMIT 1", [name or ""]
            ).fetchone() if name else None
            state: MatchState = "matched" if row else "unmatched"
            con.execute(
                "INSERT INTO integrations (tenant_id, tenant_name, default_domain, verified_domains, "
                "organization_id, match_state, discovered) VALUES (?, ?, ?, ?, ?, ?, TRUE)",
                [tenant_id, name, domain, [domain] if domain else [], row[0] if row else None, state],
            )
            known.add(tenant_id)
            added.append((tenant_id, state))
    return added


def _set_match(store: Store, tenant_ids: Sequence[str], organization_id: int | None, state: MatchState) -> int:
    with store.transaction() as con:
        changed = 0
        for tenant_id in tenant_ids:
            con.execute("UPDATE integrations SET organization_id = ?, match_state = ? WHERE id = ?",
                        [organization_id, state, connected_integration_id(con, tenant_id)])
            changed += 1
    return changed


def accept_suggested_matches(store: Store, tenant_ids: Iterable[str]) -> int:
    """Accept Suggested Match: match each tenant to its suggested organization."""
    wanted = _tenants(tenant_ids)
    suggested = suggestions(store)
    missing = [t for t in wanted if t not in suggested]
    if missing:
        raise IntegrationError(f"no suggested match for {', '.join(missing)}")
    changed = 0
    for tenant_id in wanted:
        changed += _set_match(store, [tenant_id], suggested[tenant_id].organization_id, "matched")
    return changed


def create_organizations_for(store: Store, tenant_ids: Iterable[str]) -> int:
    """Create Organization: a new organization named like each tenant, matched to it."""
    wanted = _tenants(tenant_ids)
    changed = 0
    with store.transaction() as con:  # all tenants or none
        for tenant_id in wanted:
            integration_id = connected_integration_id(con, tenant_id)
            row = con.execute("SELECT coalesce(tenant_name, default_domain, tenant_id) FROM integrations "
                              "WHERE id = ?", [integration_id]).fetchone()
            assert row is not None
            org_id = ensure_organization(con, str(row[0]), created_by_integration=True)
            changed += _set_match(store, [tenant_id], org_id, "matched")
    return changed


def match_tenants(store: Store, tenant_ids: Iterable[str], organization: str) -> int:
    """Match To / Change Match: match the tenants to an existing organization by name."""
    wanted = _tenants(tenant_ids)
    row = store.rows("SELECT id FROM organizations WHERE lower(name) = lower(?) ORDER BY id LIMIT 1",
                     [" ".join(organization.split())])
    if not row:
        raise IntegrationError(f"no organization named {organization!r}")
    return _set_match(store, wanted, int(row[0][0]), "matched")


def ignore_tenants(store: Store, tenant_ids: Iterable[str]) -> int:
    """Ignore: the tenants are neither matched nor synced."""
    return _set_match(store, _tenants(tenant_ids), None, "ignored")


def revert_matches(store: Store, tenant_ids: Iterable[str]) -> int:
    """Revert Match: back to unmatched (an ignored tenant is un-ignored). Its data stays."""
    return _set_match(store, _tenants(tenant_ids), None, "unmatched")
