"""The "Office 365 Licenses" flexible assets: the locked synced type and a tenant's sync.

:func:`apply_tenant_sync` replaces a tenant's license assets, contacts, tags,
subscriptions and history snapshot in one transaction: a failure leaves the previous data
whole. Asset ids are stable across syncs (matched by tenant and SKU), so an asset's
security settings survive re-syncs.
"""

from __future__ import annotations

from datetime import datetime, timezone
import re
from typing import Iterable, Mapping, Sequence

import duckdb
import pandas as pd

from o365lic.licenses import DEFAULT_FREE_SKUS, FREE_SKU_UNIT_THRESHOLD, LicenseRecord
from o365lic.store.database import Store
from o365lic.store.records import SubscriptionRecord, TenantInfo
from o365lic.store.schema import LICENSE_TYPE_FIELDS, LICENSE_TYPE_NAME

__all__ = [
    "LockedError",
    "SYNCED_ASSET_FIELDS",
    "apply_tenant_sync",
    "ensure_license_type",
    "free_sku_list",
    "load_free_skus",
    "load_product_names",
    "product_names_loaded_at",
    "save_free_skus",
    "save_product_names",
    "update_asset",
    "update_asset_field",
    "update_asset_type",
]

#: Columns of a license asset that the sync writes: locked while the asset is synced.
SYNCED_ASSET_FIELDS: frozenset[str] = frozenset({
    "name", "sku_id", "sku_part_number", "license_name", "status", "active", "consumed", "unused",
    "over_assigned", "enabled_units", "warning_units", "suspended_units", "locked_out_units",
    "is_free", "free_reason",
})
_EDITABLE_ASSET_FIELDS = SYNCED_ASSET_FIELDS | {"notes"}


_PART_NUMBER = re.compile(r"^[A-Z0-9_\-]{2,100}$")


class LockedError(PermissionError):
    """An edit of something the Office 365 integration owns."""


def _locked_type(con: duckdb.DuckDBPyConnection, type_id: int) -> str | None:
    row = con.execute("SELECT name, locked FROM flexible_asset_types WHERE id = ?", [type_id]).fetchone()
    if not row:
        raise LookupError(f"no flexible asset type {type_id}")
    return str(row[0]) if row[1] else None


def update_asset_type(store: Store, type_id: int, *, name: str | None = None,
                      description: str | None = None) -> None:
    """Rename or describe a flexible asset type; refused for the locked synced type."""
    with store.transaction() as con:
        locked = _locked_type(con, type_id)
        if locked:
            raise LockedError(
                f'"{locked}" is created and kept by the Office 365 integration: it is locked and its '
                "name, description and fields cannot be edited")
        con.execute("UPDATE flexible_asset_types SET name = coalesce(?, name), "
                    "description = coalesce(?, description) WHERE id = ?", [name, description, type_id])


def update_asset_field(store: Store, field_id: int, *, name: str | None = None, kind: str | None = None) -> None:
    """Change a field of a flexible asset type; refused for the locked synced type's fields."""
    with store.transaction() as con:
        row = con.execute("SELECT flexible_asset_type_id, name, locked FROM flexible_asset_fields WHERE id = ?",
                          [field_id]).fetchone()
        if not row:
            raise LookupError(f"no flexible asset field {field_id}")
        locked = _locked_type(con, int(row[0]))
        if locked or row[2]:
            raise LockedError(
                f'the field "{row[1]}" belongs to the locked type "{locked or "?"}" kept by the Office 365 '
                "integration and cannot be edited")
        con.execute("UPDATE flexible_asset_fields SET name = coalesce(?, name), kind = coalesce(?, kind) "
                    "WHERE id = ?", [name, kind, field_id])


def update_asset(store: Store, asset_id: int, **changes: object) -> None:
    """Edit an asset's fields. Synced fields of a synced asset are refused (they come from
    Microsoft 365 and the next sync would overwrite them); ``notes`` is always editable."""
    unknown = set(changes) - _EDITABLE_ASSET_FIELDS
    if unknown:
        raise ValueError(f"unknown asset fields: {', '.join(sorted(unknown))}")
    with store.transaction() as con:
        row = con.execute("SELECT synced, license_name FROM flexible_assets WHERE id = ?", [asset_id]).fetchone()
        if not row:
            raise LookupError(f"no asset {asset_id}")
        locked = sorted(set(changes) & SYNCED_ASSET_FIELDS) if row[0] else []
        if locked:
            raise LockedError(
                f'{", ".join(locked)} of "{row[1]}" are synced from Microsoft 365 and locked: change them in '
                "Microsoft 365 (the next sync brings them here) or disconnect the tenant keeping its data")
        if changes:
            con.execute(
                "UPDATE flexible_assets SET " + ", ".join(f"{k} = ?" for k in changes) + ", updated_at = now() "
                "WHERE id = ?", [*changes.values(), asset_id])


def ensure_license_type(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the synced, locked "Office 365 Licenses" type, created with its fields."""
    row = con.execute(
        "SELECT id FROM flexible_asset_types WHERE name = ? ORDER BY id LIMIT 1", [LICENSE_TYPE_NAME]
    ).fetchone()
    if row:
        return int(row[0])
    row = con.execute(
        "INSERT INTO flexible_asset_types (name, description, synced, locked) VALUES (?, ?, TRUE, TRUE) "
        "RETURNING id",
        [LICENSE_TYPE_NAME, "Microsoft 365 licenses synced from Microsoft Graph (locked)"],
    ).fetchone()
    assert row is not None
    type_id = int(row[0])
    con.executemany(
        "INSERT INTO flexible_asset_fields (flexible_asset_type_id, name, kind, hint, position, locked) "
        "VALUES (?, ?, ?, ?, ?, TRUE)",
        [[type_id, name, kind, hint, pos] for pos, (name, kind, hint) in enumerate(LICENSE_TYPE_FIELDS, 1)],
    )
    return type_id


def load_product_names(store: Store) -> dict[str, str]:
    """SKU id -> product name, as loaded from Microsoft's reference file (may be empty)."""
    return {str(k): str(v) for k, v in store.rows("SELECT sku_id, name FROM product_names")}


def save_product_names(store: Store, names: Mapping[str, str]) -> None:
    """Replace the stored product names (SKU id -> Microsoft's display name)."""
    frame = pd.DataFrame({"sku_id": [k.lower() for k in names], "name": list(names.values())})
    with store.transaction() as con:
        con.execute("DELETE FROM product_names")
        con.register("names_frame", frame)
        try:
            con.execute("INSERT INTO product_names (sku_id, name, loaded_at) SELECT sku_id, name, now() FROM names_frame")
        finally:
            con.unregister("names_frame")


def product_names_loaded_at(store: Store) -> datetime | None:
    """When the product names were last loaded, or None."""
    value = store.scalar("SELECT max(loaded_at) FROM product_names")
    return value if isinstance(value, datetime) else None


def load_free_skus(store: Store) -> set[str] | None:
    """The edited free-SKU list, or None while the default list applies."""
    if not store.scalar("SELECT count(*) FROM app_state WHERE key = 'free_skus_edited'"):
        return None
    return {str(r[0]) for r in store.rows("SELECT sku_part_number FROM free_skus")}


def free_sku_list(store: Store) -> list[str]:
    """The SKU part numbers counted as free: the edited list, else the default one."""
    edited = load_free_skus(store)
    return sorted(DEFAULT_FREE_SKUS if edited is None else edited, key=str.upper)


def save_free_skus(store: Store, part_numbers: Iterable[str] | None) -> int:
    """Replace the free-SKU list (None: back to the default list) and re-flag every license
    asset at once; returns how many assets changed. SKUs with 10,000+ units and all-trial
    SKUs stay flagged whatever the list says."""
    chosen = None if part_numbers is None else sorted(
        {p.strip().upper() for p in part_numbers if p and p.strip()})
    if chosen is not None and any(not _PART_NUMBER.match(p) for p in chosen):
        bad = next(p for p in chosen if not _PART_NUMBER.match(p))
        raise ValueError(f"{bad!r} is not a SKU part number (letters, digits, _ and - only)")
    listed = sorted(DEFAULT_FREE_SKUS) if chosen is None else chosen
    with store.transaction() as con:
        con.execute("DELETE FROM free_skus")
        con.execute("DELETE FROM app_state WHERE key = 'free_skus_edited'")
        if chosen is not None:
            con.executemany("INSERT INTO free_skus (sku_part_number) VALUES (?)", [[p] for p in chosen])
            con.execute("INSERT INTO app_state (key, value) VALUES ('free_skus_edited', 'yes')")
        before = con.execute("SELECT id, free_reason FROM flexible_assets WHERE sku_id IS NOT NULL").fetchall()
        con.execute(
            f"""
            UPDATE flexible_assets SET free_reason = CASE
                WHEN upper(trim(sku_part_number)) IN (SELECT unnest(?::VARCHAR[])) THEN 'free SKU'
                WHEN coalesce(enabled_units, 0) + coalesce(warning_units, 0) + coalesce(suspended_units, 0)
                     + coalesce(locked_out_units, 0) >= {FREE_SKU_UNIT_THRESHOLD} THEN '10,000+ units'
                WHEN free_reason = 'trial' THEN 'trial'
                ELSE NULL END
            WHERE sku_id IS NOT NULL
            """,
            [[p.upper() for p in listed]],
        )
        con.execute("UPDATE flexible_assets SET is_free = free_reason IS NOT NULL WHERE sku_id IS NOT NULL")
        after = dict(con.execute("SELECT id, free_reason FROM flexible_assets WHERE sku_id IS NOT NULL").fetchall())
    return sum(1 for asset_id, reason in before if after.get(asset_id) != reason)


_CONTACT_FIELDS = (
    "user_principal_name", "display_name", "given_name", "surname", "mail", "proxy_addresses",
    "account_enabled",
)
_SET_FIELDS = ", ".join(f"{f} = m.{f}" for f in _CONTACT_FIELDS)

#: How a Microsoft user finds its contact, in order, after its own object id: any alias
#: (mail or proxy address), then the user principal name, then first and last name.
_CLAIM_RULES: tuple[str, ...] = (
    "list_has_any("
    " list_filter(list_append(coalesce(c.proxy_addresses, []::VARCHAR[]), lower(c.mail)), lambda x: x IS NOT NULL),"
    " list_filter(list_append(coalesce(s.proxy_addresses, []::VARCHAR[]), lower(s.mail)), lambda x: x IS NOT NULL))",
    "lower(c.user_principal_name) = lower(s.user_principal_name)",
    "c.given_name IS NOT NULL AND c.surname IS NOT NULL AND lower(c.given_name) = lower(s.given_name) "
    "AND lower(c.surname) = lower(s.surname)",
)

_UNCLAIMED_USERS = (
    "s.sync_run_id = $run AND s.user_id NOT IN "
    "(SELECT user_id FROM contacts WHERE organization_id = $org AND user_id IS NOT NULL)"
)

_CLAIMS: tuple[str, ...] = tuple(
    f"""
    UPDATE contacts SET user_id = m.user_id, {_SET_FIELDS}, updated_at = $now
    FROM (
        SELECT * FROM (
            SELECT c.id AS contact_id, s.*,
                   row_number() OVER (PARTITION BY c.id ORDER BY s.user_id) AS by_contact,
                   row_number() OVER (PARTITION BY s.user_id ORDER BY c.id) AS by_user
            FROM (SELECT * FROM staging_users s WHERE {_UNCLAIMED_USERS}) s
            JOIN (
                SELECT * FROM contacts c
                WHERE c.organization_id = $org
                  AND (c.user_id IS NULL OR (coalesce(c.integration_id, $integration) = $integration
                       AND c.user_id NOT IN (SELECT user_id FROM staging_users WHERE sync_run_id = $run)))
            ) c ON ({rule})
        ) WHERE by_contact = 1 AND by_user = 1
    ) m
    WHERE contacts.id = m.contact_id
    """
    for rule in _CLAIM_RULES
)


def _has_unclaimed_users(con: duckdb.DuckDBPyConnection, run_id: int, org_id: int) -> bool:
    row = con.execute(f"SELECT count(*) FROM staging_users s WHERE {_UNCLAIMED_USERS}",
                      {"run": run_id, "org": org_id}).fetchone()
    return bool(row and row[0])


_MERGE_CONTACTS: tuple[str, ...] = (
    # the same Microsoft user (object id) already is a contact of the organization
    f"""
    UPDATE contacts SET {_SET_FIELDS}, updated_at = $now
    FROM (SELECT * FROM staging_users WHERE sync_run_id = $run) m
    WHERE contacts.organization_id = $org AND contacts.user_id = m.user_id
    """,
    # a contact no current user of this tenant claims, found by each rule in turn; each
    # contact and each user is matched at most once
    *_CLAIMS,
    # everybody else becomes a new contact, marked as created by the integration
    f"""
    INSERT INTO contacts (organization_id, integration_id, user_id, {", ".join(_CONTACT_FIELDS)},
        created_by_integration, created_at, updated_at)
    SELECT DISTINCT ON (s.user_id) $org, $integration, s.user_id, {", ".join("s." + f for f in _CONTACT_FIELDS)},
        TRUE, $now, $now
    FROM staging_users s
    WHERE {_UNCLAIMED_USERS}
    """,
)


def _upsert_assets(
    con: duckdb.DuckDBPyConnection, *, type_id: int, org_id: int, integration_id: int,
    licenses: Sequence[LicenseRecord], now: datetime,
) -> None:
    existing = {
        str(sku): int(asset_id)
        for asset_id, sku in con.execute(
            "SELECT id, sku_id FROM flexible_assets WHERE integration_id = ? AND flexible_asset_type_id = ?",
            [integration_id, type_id],
        ).fetchall()
    }
    seen = {lic.sku_id for lic in licenses}
    gone = [asset_id for sku, asset_id in existing.items() if sku not in seen]
    if gone:
        marks = ", ".join("?" * len(gone))
        con.execute(f"DELETE FROM flexible_asset_tags WHERE flexible_asset_id IN ({marks})", gone)
        con.execute(f"DELETE FROM flexible_assets WHERE id IN ({marks})", gone)
    for lic in licenses:
        c = lic.counts
        values = [
            org_id, lic.license_name, lic.sku_part_number, lic.license_name, lic.status,
            c.active, c.consumed, c.unused, c.over_assigned, c.enabled_units, c.warning_units,
            c.suspended_units, c.locked_out_units, lic.is_free, lic.free_reason, now, now,
        ]
        if lic.sku_id in existing:
            con.execute(
                "UPDATE flexible_assets SET organization_id = ?, name = ?, sku_part_number = ?, "
                "license_name = ?, status = ?, active = ?, consumed = ?, unused = ?, over_assigned = ?, "
                "enabled_units = ?, warning_units = ?, suspended_units = ?, locked_out_units = ?, "
                "is_free = ?, free_reason = ?, synced_at = ?, updated_at = ?, synced = TRUE, archived = FALSE "
                "WHERE id = ?",
                values + [existing[lic.sku_id]],
            )
        else:
            con.execute(
                "INSERT INTO flexible_assets (organization_id, name, sku_part_number, license_name, status, "
                "active, consumed, unused, over_assigned, enabled_units, warning_units, suspended_units, "
                "locked_out_units, is_free, free_reason, synced_at, updated_at, created_at, "
                "flexible_asset_type_id, integration_id, sku_id, synced) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE)",
                values + [now, type_id, integration_id, lic.sku_id],
            )


def apply_tenant_sync(
    store: Store,
    *,
    run_id: int,
    integration_id: int,
    tenant: TenantInfo,
    licenses: Sequence[LicenseRecord] | None,
    subscriptions: Sequence[SubscriptionRecord] | None,
    users: int,
    requests: int,
    retries: int,
) -> None:
    """Land one tenant's successful sync in one transaction (see the module docstring).

    ``licenses`` None means the tenant's Licenses setting is off: contacts are refreshed,
    the license assets are left as they are.
    """
    now = datetime.now(timezone.utc)
    with store.transaction() as con:
        row = con.execute(
            "SELECT organization_id FROM integrations WHERE id = ? AND disconnected_at IS NULL "
            "AND match_state = 'matched'",
            [integration_id],
        ).fetchone()
        if not row or row[0] is None:
            raise LookupError("the tenant was disconnected or unmatched while it synced")
        org_id = int(row[0])
        con.execute(
            "UPDATE integrations SET tenant_name = coalesce(?, tenant_name), "
            "default_domain = coalesce(?, default_domain), verified_domains = ? WHERE id = ?",
            [tenant.display_name, tenant.default_domain, list(tenant.verified_domains), integration_id],
        )
        params = {"run": run_id, "org": org_id, "integration": integration_id, "now": now}
        for sql in _MERGE_CONTACTS:
            if sql in _CLAIMS and not _has_unclaimed_users(con, run_id, org_id):
                continue  # a re-sync of known users: nothing to match
            con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
        if licenses is not None:
            type_id = ensure_license_type(con)
            _upsert_assets(con, type_id=type_id, org_id=org_id, integration_id=integration_id,
                           licenses=licenses, now=now)
            con.execute(
                "DELETE FROM flexible_asset_tags WHERE flexible_asset_id IN "
                "(SELECT id FROM flexible_assets WHERE integration_id = ?)", [integration_id])
            con.execute(
                """
                INSERT INTO flexible_asset_tags (flexible_asset_id, contact_id)
                SELECT DISTINCT a.id, c.id
                FROM staging_user_licenses l
                JOIN flexible_assets a ON a.integration_id = $integration AND a.sku_id = l.sku_id
                JOIN contacts c ON c.organization_id = $org AND c.user_id = l.user_id
                WHERE l.sync_run_id = $run
                """,
                {"integration": integration_id, "org": org_id, "run": run_id},
            )
            con.execute("DELETE FROM subscriptions WHERE integration_id = ?", [integration_id])
            if subscriptions:
                con.executemany(
                    "INSERT INTO subscriptions (integration_id, subscription_id, commerce_subscription_id, "
                    "sku_id, sku_part_number, status, total_licenses, is_trial, created_date_time, "
                    "next_lifecycle_date_time, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [[integration_id, s.subscription_id, s.commerce_subscription_id, s.sku_id,
                      s.sku_part_number, s.status, s.total_licenses, s.is_trial, s.created_date_time,
                      s.next_lifecycle_date_time, now] for s in subscriptions],
                )
            con.execute(
                """
                INSERT INTO license_snapshots
                SELECT ?, a.integration_id, a.organization_id, i.tenant_id, a.sku_id, a.sku_part_number,
                       a.license_name, a.status, a.active, a.consumed, a.unused, a.over_assigned,
                       a.warning_units, a.suspended_units, a.is_free, ?
                FROM flexible_assets a JOIN integrations i ON i.id = a.integration_id
                WHERE a.integration_id = ?
                """,
                [run_id, now, integration_id],
            )
        con.execute("DELETE FROM staging_users WHERE sync_run_id = ?", [run_id])
        con.execute("DELETE FROM staging_user_licenses WHERE sync_run_id = ?", [run_id])
        con.execute(
            "UPDATE sync_runs SET finished_at = ?, outcome = 'ok', error = NULL, licenses = ?, users = ?, "
            "requests = ?, retries = ? WHERE id = ?",
            [now, len(licenses) if licenses is not None else None, users, requests, retries, run_id],
        )
