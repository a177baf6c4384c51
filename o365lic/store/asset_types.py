"""The locked "Office 365 Licenses" type and its assets: edits people may and may not make.

The synced type and its fields are locked; synced fields of a synced asset are locked too
(they come from Microsoft 365); ``notes`` stays editable. :func:`ensure_license_type` creates
the type with its locked fields the first time a sync lands.
"""

from __future__ import annotations

import duckdb

from o365lic.store.database import Store
from o365lic.store.schema import LICENSE_TYPE_FIELDS, LICENSE_TYPE_NAME

__all__ = [
    "SYNCED_ASSET_FIELDS",
    "LockedError",
    "ensure_license_type",
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
    rows = con.execute(
        "SELECT id FROM flexible_asset_types WHERE name = ? ORDER BY id LIMIT 1", [LICENSE_TYPE_NAME]
    ).fetchall()  # every row fetched: the connection may register a frame next
    if rows:
        return int(rows[0][0])
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
