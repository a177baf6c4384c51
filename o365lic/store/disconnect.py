"""The two disconnect modes of the Office 365 integration (SPEC section 8): what each one
changes. Their labels and the sentences reporting them are in :mod:`o365lic.wording`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import get_args

from o365lic.store.audit import record_audit
from o365lic.store.database import Store
from o365lic.store.integrations import (
    IntegrationError,
    connected_integration_id,
    tenant_subject,
)
from o365lic.store.records import DisconnectMode
from o365lic.store.schema import LICENSE_TYPE_NAME

__all__ = ["DisconnectReport", "disconnect_tenant"]


@dataclass(frozen=True)
class DisconnectReport:
    """What a disconnect changed, in rows."""

    tenant_id: str
    mode: DisconnectMode
    assets: int
    tags: int
    snapshots: int
    type_deleted: bool


def disconnect_tenant(
    store: Store, tenant_id: str, mode: DisconnectMode, *, actor: str = "o365lic"
) -> DisconnectReport:
    """Stop syncing a tenant; with ``delete-data`` also delete its assets and history.

    Either way the organizations and contacts the integration created stay, and so does the
    audit entry of the disconnect. Connecting the tenant again starts a new integration.
    """
    if mode not in get_args(DisconnectMode):
        raise IntegrationError(f"unknown disconnect mode {mode!r}: use keep-data or delete-data")
    tenant = tenant_id.strip().lower()
    now = datetime.now(UTC)
    with store.transaction() as con:
        integration_id = connected_integration_id(con, tenant)

        def count(sql: str) -> int:
            found = con.execute(sql, [integration_id]).fetchone()
            return int(found[0]) if found else 0

        assets = count("SELECT count(*) FROM flexible_assets WHERE integration_id = ?")
        tags = count("SELECT count(*) FROM flexible_asset_tags WHERE flexible_asset_id IN "
                     "(SELECT id FROM flexible_assets WHERE integration_id = ?)")
        snapshots = count("SELECT count(*) FROM license_snapshots WHERE integration_id = ?")
        type_deleted = False
        subject = tenant_subject(con, integration_id)
        if mode == "keep-data":
            con.execute("UPDATE integrations SET disconnected_at = ? WHERE id = ?", [now, integration_id])
            con.execute("UPDATE flexible_assets SET synced = FALSE, updated_at = ? WHERE integration_id = ?",
                        [now, integration_id])
        else:
            asset_ids = "(SELECT id FROM flexible_assets WHERE integration_id = ?)"
            con.execute(f"DELETE FROM flexible_asset_tags WHERE flexible_asset_id IN {asset_ids}", [integration_id])
            con.execute(f"DELETE FROM flexible_asset_groups WHERE flexible_asset_id IN {asset_ids}", [integration_id])
            for table in ("flexible_assets", "license_snapshots", "subscriptions", "sync_runs"):
                con.execute(f"DELETE FROM {table} WHERE integration_id = ?", [integration_id])
            con.execute("DELETE FROM integrations WHERE id = ?", [integration_id])
            con.execute("UPDATE contacts SET integration_id = NULL WHERE integration_id = ?", [integration_id])
            still_used = con.execute(
                "SELECT (SELECT count(*) FROM integrations) + (SELECT count(*) FROM flexible_assets a "
                "JOIN flexible_asset_types t ON t.id = a.flexible_asset_type_id WHERE t.name = ?)",
                [LICENSE_TYPE_NAME],
            ).fetchone()
            if still_used and int(still_used[0]) == 0:
                con.execute("DELETE FROM flexible_asset_fields WHERE flexible_asset_type_id IN "
                            "(SELECT id FROM flexible_asset_types WHERE name = ?)", [LICENSE_TYPE_NAME])
                con.execute("DELETE FROM flexible_asset_types WHERE name = ?", [LICENSE_TYPE_NAME])
                type_deleted = True
        if mode == "keep-data":
            detail = f"kept {assets} license assets, unsynced, with their history"
        else:
            detail = (f"deleted {assets} license assets, {tags} tags, {snapshots} history rows"
                      + ("; the Office 365 Licenses type too" if type_deleted else ""))
        record_audit(con, actor, "disconnect (keep data)" if mode == "keep-data" else "disconnect (delete data)",
                     subject, detail)
    return DisconnectReport(tenant, mode, assets, tags, snapshots, type_deleted)
