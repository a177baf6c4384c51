"""Read queries for the pages, the CLI and the export, as DataFrames.

Filtering and aggregation happen in DuckDB; pages only draw what comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

import pandas as pd

from o365lic.store import (
    LOCAL_ADMINISTRATOR,
    MatchState,
    Store,
    Viewer,
    list_app_users,
    list_groups,
    list_integrations,
    suggestions,
    visibility_clause,
)
from o365lic.store.overview import tenants_page

__all__ = [
    "FilterParts",
    "LicenseFilter",
    "app_users_table",
    "asset_visible",
    "chosen_filter",
    "hidden_organizations",
    "integrations_table",
    "license_assets",
    "license_contacts",
    "licenses",
    "organization_contacts",
    "organization_names",
    "organization_summary",
    "sync_log",
    "tenant_matches",
    "totals",
]


@dataclass(frozen=True)
class LicenseFilter:
    """What a license read shows: organizations, a search text, free SKUs or not, and whose eyes.

    Frozen and hashable, so a page can cache a read on it; :meth:`of` builds one from plain parts.
    """

    organizations: tuple[str, ...] = ()
    search: str = ""
    include_free: bool = False
    viewer: Viewer = LOCAL_ADMINISTRATOR

    @classmethod
    def of(cls, organizations: Sequence[str] | None = None, search: str | None = None,
           include_free: bool = False, viewer: Viewer = LOCAL_ADMINISTRATOR) -> LicenseFilter:
        """A filter from plain values (blank organizations dropped, search trimmed)."""
        return cls(organizations=tuple(o for o in organizations or () if o), search=(search or "").strip(),
                   include_free=bool(include_free), viewer=viewer)


class FilterParts(TypedDict, total=False):
    """The parts of a :class:`LicenseFilter` as keyword arguments (for the CLI and tests)."""

    organizations: Sequence[str] | None
    search: str | None
    include_free: bool
    viewer: Viewer


def chosen_filter(chosen: LicenseFilter | None, parts: FilterParts) -> LicenseFilter:
    """The filter a reader was given: ``chosen``, or one built from its parts (never both)."""
    if chosen is not None and parts:
        raise TypeError("pass a LicenseFilter or its parts, not both")
    return chosen if chosen is not None else LicenseFilter.of(**parts)


def _filter(chosen: LicenseFilter) -> tuple[str, list[Any]]:
    """A SQL condition on the ``office365_licenses`` view and its parameters: organizations, a
    search text, free SKUs or not, and only the assets the viewer may see (restricted assets
    stay hidden from outsiders)."""
    visible, params = visibility_clause(chosen.viewer)
    clauses = [visible]
    if chosen.organizations:
        clauses.append(f"organization IN ({', '.join('?' * len(chosen.organizations))})")
        params.extend(chosen.organizations)
    if chosen.search:
        clauses.append(
            "(contains(lower(organization), lower(?)) OR contains(lower(coalesce(license_name, '')), lower(?)) "
            "OR contains(lower(coalesce(sku_part_number, '')), lower(?)))"
        )
        params.extend([chosen.search] * 3)
    if not chosen.include_free:
        clauses.append("NOT is_free")
    return " AND ".join(clauses), params


def licenses(store: Store, chosen: LicenseFilter | None = None, /, **parts: Unpack[FilterParts]) -> pd.DataFrame:
    """One row per license asset (the ``office365_licenses`` view) plus utilisation."""
    where, params = _filter(chosen_filter(chosen, parts))
    return store.df(
        f"""
        SELECT organization, tenant_id, license_name, sku_part_number, sku_id, status,
               active, consumed, unused, over_assigned, warning_units, suspended_units,
               is_free, free_reason, synced_at, asset_id,
               CASE WHEN active > 0 THEN consumed::DOUBLE / active END AS utilisation
        FROM office365_licenses WHERE {where}
        ORDER BY lower(organization), lower(license_name), sku_id
        """,
        params,
    )


def totals(store: Store, chosen: LicenseFilter | None = None, /, **parts: Unpack[FilterParts]) -> dict[str, float]:
    """Active, Consumed, Unused, Over-assigned sums and utilisation (Consumed / Active)."""
    where, params = _filter(chosen_filter(chosen, parts))
    with store.connect() as con:
        row = con.execute(
            f"""
            SELECT coalesce(sum(active), 0), coalesce(sum(consumed), 0), coalesce(sum(unused), 0),
                   coalesce(sum(over_assigned), 0), count(*), count(DISTINCT organization)
            FROM office365_licenses WHERE {where}
            """,
            params,
        ).fetchone()
    assert row is not None
    active, consumed, unused, over, count, orgs = (int(v) for v in row)
    return {
        "active": active, "consumed": consumed, "unused": unused, "over_assigned": over,
        "licenses": count, "organizations": orgs,
        "utilisation": (consumed / active) if active else 0.0,
    }


def organization_summary(store: Store, chosen: LicenseFilter | None = None, /,
                         **parts: Unpack[FilterParts]) -> pd.DataFrame:
    """Per organization: active, consumed (within active), unused, over-assigned; by active."""
    where, params = _filter(chosen_filter(chosen, parts))
    return store.df(
        f"""
        SELECT organization, sum(active)::BIGINT AS active, sum(consumed)::BIGINT AS consumed,
               sum(unused)::BIGINT AS unused, sum(over_assigned)::BIGINT AS over_assigned,
               count(*) AS licenses
        FROM office365_licenses WHERE {where}
        GROUP BY organization ORDER BY active DESC, lower(organization)
        """,
        params,
    )


def _shown_organizations(viewer: Viewer, column: str) -> tuple[str, list[Any]]:
    """A SQL condition on an organization id ``column``: not an organization whose every asset is
    restricted from ``viewer`` (one with no assets at all reveals nothing and stays)."""
    if viewer.sees_everything:
        return "TRUE", []
    visible, params = visibility_clause(viewer, "a.id", "a.restricted")
    return (
        f"""({column} IS NULL OR NOT (
              EXISTS (SELECT 1 FROM flexible_assets a WHERE a.organization_id = {column})
              AND NOT EXISTS (SELECT 1 FROM flexible_assets a WHERE a.organization_id = {column} AND {visible})))""",
        params,
    )


def organization_names(store: Store, viewer: Viewer = LOCAL_ADMINISTRATOR) -> list[str]:
    """Every organization ``viewer`` may know of, by name: from the organizations table, so one
    without licenses stays listed; one whose every asset is restricted from the viewer is left out."""
    shown, params = _shown_organizations(viewer, "o.id")
    return [str(r[0]) for r in store.rows(
        f"SELECT o.name FROM organizations o WHERE {shown} ORDER BY lower(o.name), o.name", params)]


def hidden_organizations(store: Store, viewer: Viewer) -> set[str]:
    """Names of the organizations whose every asset is restricted from ``viewer``."""
    shown, params = _shown_organizations(viewer, "o.id")
    return {str(r[0]) for r in store.rows(f"SELECT o.name FROM organizations o WHERE NOT {shown}", params)}


def asset_visible(store: Store, asset_id: int, viewer: Viewer) -> bool:
    """True when the asset exists and ``viewer`` may see it."""
    visible, params = visibility_clause(viewer, "a.id", "a.restricted")
    return bool(store.scalar(f"SELECT count(*) FROM flexible_assets a WHERE a.id = ? AND {visible}",
                             [int(asset_id), *params]))


def license_contacts(store: Store, asset_id: int, viewer: Viewer = LOCAL_ADMINISTRATOR) -> pd.DataFrame:
    """The contacts tagged on one license asset (none when ``viewer`` may not see the asset)."""
    visible, params = visibility_clause(viewer, "a.id", "a.restricted")
    return store.df(
        f"""
        SELECT c.display_name, c.user_principal_name, c.mail, c.account_enabled
        FROM flexible_asset_tags t JOIN contacts c ON c.id = t.contact_id
        JOIN flexible_assets a ON a.id = t.flexible_asset_id
        WHERE t.flexible_asset_id = ? AND {visible}
        ORDER BY lower(c.display_name), c.user_principal_name
        """,
        [asset_id, *params],
    )


def organization_contacts(store: Store, organization: str, viewer: Viewer = LOCAL_ADMINISTRATOR) -> pd.DataFrame:
    """The contacts of one organization with the licenses ``viewer`` may see tagged on them
    (an organization without licenses still lists its contacts; a hidden one lists nobody)."""
    shown, shown_params = _shown_organizations(viewer, "o.id")
    visible, params = visibility_clause(viewer, "a.asset_id", "a.restricted")
    return store.df(
        f"""
        SELECT c.display_name, c.user_principal_name, c.mail, c.account_enabled,
               coalesce(string_agg(a.license_name, ', ' ORDER BY lower(a.license_name))
                        FILTER (WHERE a.asset_id IS NOT NULL), '') AS licenses
        FROM contacts c
        JOIN organizations o ON o.id = c.organization_id
        LEFT JOIN flexible_asset_tags t ON t.contact_id = c.id
        LEFT JOIN office365_licenses a ON a.asset_id = t.flexible_asset_id AND {visible}
        WHERE o.name = ? AND {shown}
        GROUP BY c.id, c.display_name, c.user_principal_name, c.mail, c.account_enabled
        ORDER BY lower(c.display_name), c.user_principal_name
        """,
        [*params, organization, *shown_params],
    )


def integrations_table(store: Store, *, match_state: MatchState | None = None,
                       viewer: Viewer = LOCAL_ADMINISTRATOR) -> pd.DataFrame:
    """The "Active Integrations" table: organization, tenant, status, last sync, last error.

    ``match_state="matched"`` keeps only the tenants matched to an organization (those that sync);
    tenants of an organization hidden from ``viewer`` are left out.
    """
    hidden = hidden_organizations(store, viewer) if not viewer.sees_everything else set()
    return tenants_page(store, match_state=match_state, hidden=hidden)  # one statement, no object per tenant


def sync_log(
    store: Store,
    *,
    limit: int = 200,
    tenant_id: str | None = None,
    outcome: str | None = None,
    organization: str | None = None,
    since: datetime | None = None,
    viewer: Viewer = LOCAL_ADMINISTRATOR,
) -> pd.DataFrame:
    """Sync runs, newest first: start, end, outcome, licenses, users, requests, retries, error
    (not the runs of an organization hidden from ``viewer``)."""
    shown, params = _shown_organizations(viewer, "o.id")
    clauses = [shown]
    for column, value in (("r.tenant_id", tenant_id), ("r.outcome", outcome), ("o.name", organization)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        clauses.append("r.started_at >= ?")
        params.append(since)
    return store.df(
        f"""
        SELECT r.id AS run, o.name AS organization, r.tenant_id, r.started_at, r.finished_at,
               date_diff('millisecond', r.started_at, r.finished_at) / 1000.0 AS seconds,
               r.outcome, r.licenses, r.users, r.requests, r.retries, r.error, r.trigger,
               r.warning, r.client_request_id
        FROM sync_runs r
        LEFT JOIN integrations i ON i.id = r.integration_id
        LEFT JOIN organizations o ON o.id = i.organization_id
        WHERE {" AND ".join(clauses)}
        ORDER BY r.id DESC LIMIT ?
        """,
        params + [limit],
    )


TENANT_MATCH_COLUMNS = ["tenant_id", "tenant_name", "domain", "organization", "suggestion", "reason",
                        "status", "match_state"]


def tenant_matches(store: Store, match_state: MatchState) -> pd.DataFrame:
    """Connected or discovered tenants in one match state, with the suggested organization and
    why (for unmatched tenants): tenant_id, tenant_name, domain, organization, suggestion,
    reason, status, match_state."""
    suggested = suggestions(store) if match_state == "unmatched" else {}
    rows = []
    for i in list_integrations(store, match_state):
        hint = suggested.get(i.tenant_id)
        rows.append({
            "tenant_id": i.tenant_id, "tenant_name": i.tenant_name or i.default_domain or i.tenant_id,
            "domain": i.default_domain, "organization": i.organization,
            "suggestion": hint.organization if hint else None, "reason": hint.reason if hint else None,
            "status": i.status, "match_state": i.match_state,
        })
    frame = pd.DataFrame(rows, columns=TENANT_MATCH_COLUMNS)
    if not frame.empty:
        frame = frame.sort_values(["tenant_name", "tenant_id"], key=lambda c: c.str.lower(), ignore_index=True)
    return frame


def license_assets(store: Store, chosen: LicenseFilter | None = None, /, **parts: Unpack[FilterParts]) -> pd.DataFrame:
    """Per license asset the viewer may see: asset_id, synced, notes and its security settings
    (restricted, group_ids), filtered like :func:`licenses`."""
    where, params = _filter(chosen_filter(chosen, parts))
    return store.df(
        f"""
        SELECT v.asset_id, a.synced, a.notes, a.restricted,
               coalesce(list(g.group_id ORDER BY g.group_id) FILTER (WHERE g.group_id IS NOT NULL),
                        []::INTEGER[]) AS group_ids
        FROM (SELECT asset_id FROM office365_licenses WHERE {where}) v
        JOIN flexible_assets a ON a.id = v.asset_id
        LEFT JOIN flexible_asset_groups g ON g.flexible_asset_id = a.id
        GROUP BY v.asset_id, a.synced, a.notes, a.restricted
        ORDER BY v.asset_id
        """,
        params,
    )


def app_users_table(store: Store) -> pd.DataFrame:
    """The app's users: id, email, display_name, role and the names of their groups."""
    groups: dict[int, list[str]] = {}
    for _, name, members in list_groups(store):
        for user_id in members:
            groups.setdefault(user_id, []).append(name)
    rows = [{"id": user_id, "email": email, "display_name": name, "role": role,
             "groups": ", ".join(groups.get(user_id, []))}
            for user_id, email, name, role in list_app_users(store)]
    return pd.DataFrame(rows, columns=["id", "email", "display_name", "role", "groups"])
