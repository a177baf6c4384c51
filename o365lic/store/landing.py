"""Landing a group of tenants' syncs: one transaction, set-based statements over the group.

The sync fetches tenants concurrently and hands finished ones here in groups
(:class:`TenantBatch`, columnar in memory). :func:`land_group` registers the group's rows as
Arrow tables and writes every table with a handful of ``INSERT … SELECT`` / ``UPDATE … FROM``
/ anti-join statements, whatever the number of tenants, users or licenses. If the group's
transaction fails, its tenants are landed one by one, so one bad tenant cannot sink the
others; a tenant that fails keeps its previous data whole (its transaction rolls back).

Per tenant the result is that of a sync on its own: the tenant's name and domains, its
contacts (see :mod:`o365lic.store.contacts`), its license assets (ids stable across syncs,
matched by tenant and SKU, so security settings survive), their tags, its subscriptions
(kept as they were when Microsoft did not send them), a history snapshot of each license
whose numbers changed (and one of zeros for a license that disappeared), and its run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from o365lic.licenses import LicenseRecord
from o365lic.store.asset_types import ensure_license_type
from o365lic.store.contacts import CONTACT_FIELDS, USERS_FRAME, merge_contacts
from o365lic.store.database import Store, StoreBusyError
from o365lic.store.records import SubscriptionRecord, TenantInfo

__all__ = ["USER_COLUMNS", "TenantBatch", "land_group"]

#: The columns of :attr:`TenantBatch.users`, in order.
USER_COLUMNS: tuple[str, ...] = ("user_id", *CONTACT_FIELDS)

_USER_TYPES: dict[str, pa.DataType] = {
    "user_id": pa.string(), "user_principal_name": pa.string(), "display_name": pa.string(),
    "given_name": pa.string(), "surname": pa.string(), "mail": pa.string(),
    "proxy_addresses": pa.list_(pa.string()), "account_enabled": pa.bool_(),
}
DISCONNECTED = "the tenant was disconnected or unmatched while it synced"


@dataclass
class TenantBatch:
    """One tenant's fetched sync, columnar, waiting for its group commit.

    ``licenses`` None: the tenant's Licenses setting is off (its assets stay as they are).
    ``subscriptions`` None: Microsoft did not send them (the stored ones are kept).
    """

    run_id: int
    integration_id: int
    tenant: TenantInfo
    licenses: Sequence[LicenseRecord] | None
    subscriptions: Sequence[SubscriptionRecord] | None
    users: dict[str, list[Any]] = field(default_factory=lambda: {c: [] for c in USER_COLUMNS})
    user_licenses: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    requests: int = 0
    retries: int = 0
    warning: str | None = None

    @property
    def user_count(self) -> int:
        return len(self.users["user_id"])


def _table(columns: dict[str, list[Any]], types: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({name: pa.array(columns[name], type=types[name]) for name in types})


def _frames(batches: Sequence[TenantBatch], orgs: dict[int, int], now: datetime) -> dict[str, pa.Table]:
    """The group's rows as Arrow tables, one per target table."""
    t: dict[str, list[Any]] = defaultdict(list)
    lic: dict[str, list[Any]] = defaultdict(list)
    sub: dict[str, list[Any]] = defaultdict(list)
    usr: dict[str, list[Any]] = defaultdict(list)
    ul: dict[str, list[Any]] = defaultdict(list)
    for b in batches:
        org = orgs[b.run_id]
        for k, v in (("run_id", b.run_id), ("integration_id", b.integration_id), ("organization_id", org),
                     ("tenant_id", b.tenant.tenant_id), ("tenant_name", b.tenant.display_name),
                     ("default_domain", b.tenant.default_domain),
                     ("verified_domains", list(b.tenant.verified_domains)),
                     ("has_licenses", b.licenses is not None), ("has_subs", b.subscriptions is not None),
                     ("licenses", None if b.licenses is None else len(b.licenses)),
                     ("users", b.user_count), ("requests", b.requests), ("retries", b.retries),
                     ("warning", b.warning)):
            t[k].append(v)
        n = b.user_count
        usr["integration_id"] += [b.integration_id] * n
        usr["organization_id"] += [org] * n
        for column in USER_COLUMNS:
            usr[column] += b.users[column]
        for x in b.licenses or ():
            c = x.counts
            for k, v in (("integration_id", b.integration_id), ("organization_id", org), ("sku_id", x.sku_id),
                         ("sku_part_number", x.sku_part_number), ("license_name", x.license_name),
                         ("status", x.status), ("active", c.active), ("consumed", c.consumed),
                         ("unused", c.unused), ("over_assigned", c.over_assigned),
                         ("enabled_units", c.enabled_units), ("warning_units", c.warning_units),
                         ("suspended_units", c.suspended_units), ("locked_out_units", c.locked_out_units),
                         ("is_free", x.is_free), ("free_reason", x.free_reason)):
                lic[k].append(v)
        if b.licenses is not None:
            users, skus = b.user_licenses
            ul["integration_id"] += [b.integration_id] * len(users)
            ul["organization_id"] += [org] * len(users)
            ul["user_id"] += users
            ul["sku_id"] += skus
        for s in b.subscriptions or ():
            for k, v in (("integration_id", b.integration_id), ("subscription_id", s.subscription_id),
                         ("commerce_subscription_id", s.commerce_subscription_id), ("sku_id", s.sku_id),
                         ("sku_part_number", s.sku_part_number), ("status", s.status),
                         ("total_licenses", s.total_licenses), ("is_trial", s.is_trial),
                         ("created_date_time", s.created_date_time),
                         ("next_lifecycle_date_time", s.next_lifecycle_date_time), ("synced_at", now)):
                sub[k].append(v)
    i32, s, b_, ts = pa.int32(), pa.string(), pa.bool_(), pa.timestamp("us", tz="UTC")
    return {
        "g_tenants": _table(t, {
            "run_id": i32, "integration_id": i32, "organization_id": i32, "tenant_id": s, "tenant_name": s,
            "default_domain": s, "verified_domains": pa.list_(s), "has_licenses": b_, "has_subs": b_,
            "licenses": i32, "users": i32, "requests": i32, "retries": i32, "warning": s}),
        "g_licenses": _table(lic, {
            "integration_id": i32, "organization_id": i32, "sku_id": s, "sku_part_number": s,
            "license_name": s, "status": s, **{k: i32 for k in (
                "active", "consumed", "unused", "over_assigned", "enabled_units", "warning_units",
                "suspended_units", "locked_out_units")}, "is_free": b_, "free_reason": s}),
        "g_subs": _table(sub, {
            "integration_id": i32, "subscription_id": s, "commerce_subscription_id": s, "sku_id": s,
            "sku_part_number": s, "status": s, "total_licenses": i32, "is_trial": b_,
            "created_date_time": ts, "next_lifecycle_date_time": ts, "synced_at": ts}),
        USERS_FRAME: _table(usr, {"integration_id": i32, "organization_id": i32, **_USER_TYPES}),
        "g_user_licenses": _table(ul, {"integration_id": i32, "organization_id": i32, "user_id": s, "sku_id": s}),
    }


_NUMBERS = ("status", "active", "consumed", "unused", "over_assigned", "warning_units", "suspended_units")
_CHANGED = " OR ".join(f"a.{c} IS DISTINCT FROM l.{c}" for c in _NUMBERS)
_ASSET_COLUMNS = ("sku_part_number", "license_name", "status", "active", "consumed", "unused", "over_assigned",
                  "enabled_units", "warning_units", "suspended_units", "locked_out_units", "is_free",
                  "free_reason")
_OF_TYPE = "a.flexible_asset_type_id = $type"
_LICENSED = "SELECT integration_id FROM g_tenants WHERE has_licenses"


def _snapshot(con: duckdb.DuckDBPyConnection, type_id: int, now: datetime) -> None:
    """History: a row per license whose numbers changed (or that is new), and one of zeros
    per license that disappeared. Runs before the assets are rewritten (they hold the last
    numbers)."""
    con.execute(
        f"""
        INSERT INTO license_snapshots
        SELECT t.run_id, l.integration_id, l.organization_id, t.tenant_id, l.sku_id, l.sku_part_number,
               l.license_name, l.status, l.active, l.consumed, l.unused, l.over_assigned, l.warning_units,
               l.suspended_units, l.is_free, $now
        FROM g_licenses l JOIN g_tenants t ON t.integration_id = l.integration_id
        LEFT JOIN flexible_assets a ON a.integration_id = l.integration_id AND a.sku_id = l.sku_id AND {_OF_TYPE}
        WHERE a.id IS NULL OR {_CHANGED}
        """, {"type": type_id, "now": now})
    con.execute(
        f"""
        INSERT INTO license_snapshots
        SELECT t.run_id, a.integration_id, a.organization_id, t.tenant_id, a.sku_id, a.sku_part_number,
               a.license_name, a.status, 0, 0, 0, 0, 0, 0, a.is_free, $now
        FROM flexible_assets a JOIN g_tenants t ON t.integration_id = a.integration_id AND t.has_licenses
        WHERE {_OF_TYPE} AND NOT EXISTS (
            SELECT 1 FROM g_licenses l WHERE l.integration_id = a.integration_id AND l.sku_id = a.sku_id)
        """, {"type": type_id, "now": now})


def _upsert_assets(con: duckdb.DuckDBPyConnection, type_id: int, now: datetime) -> None:
    """The license assets of the group's tenants become exactly ``g_licenses``."""
    gone = (f"SELECT a.id FROM flexible_assets a WHERE {_OF_TYPE} AND a.integration_id IN ({_LICENSED}) "
            "AND NOT EXISTS (SELECT 1 FROM g_licenses l WHERE l.integration_id = a.integration_id "
            "AND l.sku_id = a.sku_id)")
    params = {"type": type_id}
    con.execute(f"DELETE FROM flexible_asset_tags WHERE flexible_asset_id IN ({gone})", params)
    con.execute(f"DELETE FROM flexible_assets WHERE id IN ({gone})", params)
    sets = ", ".join(f"{c} = l.{c}" for c in _ASSET_COLUMNS)
    con.execute(
        f"""
        UPDATE flexible_assets SET organization_id = l.organization_id, name = l.license_name, {sets},
            synced_at = $now, updated_at = $now, synced = TRUE, archived = FALSE
        FROM g_licenses l
        WHERE flexible_assets.integration_id = l.integration_id AND flexible_assets.sku_id = l.sku_id
          AND flexible_assets.flexible_asset_type_id = $type
        """, {"type": type_id, "now": now})
    columns = ", ".join(_ASSET_COLUMNS)
    con.execute(
        f"""
        INSERT INTO flexible_assets (flexible_asset_type_id, organization_id, integration_id, sku_id, name,
            {columns}, synced_at, updated_at, created_at, synced)
        SELECT $type, l.organization_id, l.integration_id, l.sku_id, l.license_name,
            {", ".join("l." + c for c in _ASSET_COLUMNS)}, $now, $now, $now, TRUE
        FROM g_licenses l
        WHERE NOT EXISTS (SELECT 1 FROM flexible_assets a WHERE {_OF_TYPE}
                          AND a.integration_id = l.integration_id AND a.sku_id = l.sku_id)
        ORDER BY l.integration_id, l.sku_id
        """, {"type": type_id, "now": now})


def _tag_users(con: duckdb.DuckDBPyConnection, type_id: int) -> None:
    """The tags of the group's license assets become exactly the users holding them; only
    the differences are written (an unchanged re-sync deletes and inserts nothing)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE g_tags AS
        SELECT DISTINCT a.id AS flexible_asset_id, c.id AS contact_id
        FROM g_user_licenses l
        JOIN flexible_assets a ON a.integration_id = l.integration_id AND a.sku_id = l.sku_id AND {_OF_TYPE}
        JOIN contacts c ON c.organization_id = l.organization_id AND c.user_id = l.user_id
        """, {"type": type_id})
    try:
        con.execute(
            f"""
            DELETE FROM flexible_asset_tags
            WHERE flexible_asset_id IN (SELECT a.id FROM flexible_assets a WHERE a.integration_id IN ({_LICENSED}))
              AND NOT EXISTS (SELECT 1 FROM g_tags g WHERE g.flexible_asset_id = flexible_asset_tags.flexible_asset_id
                              AND g.contact_id = flexible_asset_tags.contact_id)
            """)
        con.execute(
            "INSERT INTO flexible_asset_tags (flexible_asset_id, contact_id) SELECT g.flexible_asset_id, g.contact_id "
            "FROM g_tags g WHERE NOT EXISTS (SELECT 1 FROM flexible_asset_tags t "
            "WHERE t.flexible_asset_id = g.flexible_asset_id AND t.contact_id = g.contact_id)")
    finally:
        con.execute("DROP TABLE IF EXISTS g_tags")


def _land_round(con: duckdb.DuckDBPyConnection, batches: Sequence[TenantBatch], orgs: dict[int, int],
                type_id: int, now: datetime) -> None:
    frames = _frames(batches, orgs, now)
    for name, table in frames.items():
        con.register(name, table)
    try:
        con.execute(
            "UPDATE integrations SET tenant_name = coalesce(g.tenant_name, integrations.tenant_name), "
            "default_domain = coalesce(g.default_domain, integrations.default_domain), "
            "verified_domains = g.verified_domains FROM g_tenants g WHERE integrations.id = g.integration_id")
        merge_contacts(con, now)
        _snapshot(con, type_id, now)
        _upsert_assets(con, type_id, now)
        _tag_users(con, type_id)
        con.execute("DELETE FROM subscriptions WHERE integration_id IN "
                    "(SELECT integration_id FROM g_tenants WHERE has_subs)")
        con.execute("INSERT INTO subscriptions SELECT * FROM g_subs")
        con.execute(
            "UPDATE sync_runs SET finished_at = $now, outcome = 'ok', error = NULL, warning = g.warning, "
            "licenses = g.licenses, users = g.users, requests = g.requests, retries = g.retries "
            "FROM g_tenants g WHERE sync_runs.id = g.run_id", {"now": now})
    finally:
        for name in frames:
            con.unregister(name)


def _land(store: Store, batches: Sequence[TenantBatch]) -> dict[int, str]:
    """Land ``batches`` in one transaction; returns run id -> error for tenants left out
    because they were disconnected or unmatched meanwhile."""
    now = datetime.now(UTC)
    ids = [b.integration_id for b in batches]
    with store.transaction() as con:
        orgs_by_integration = dict(con.execute(
            "SELECT id, organization_id FROM integrations WHERE id IN (SELECT unnest(?::INTEGER[])) "
            "AND disconnected_at IS NULL AND match_state = 'matched' AND organization_id IS NOT NULL",
            [ids]).fetchall())
        orgs = {b.run_id: int(orgs_by_integration[b.integration_id]) for b in batches
                if b.integration_id in orgs_by_integration}
        left_out = {b.run_id: DISCONNECTED for b in batches if b.run_id not in orgs}
        # tenants of one organization land in turn, each seeing the contacts the previous left
        rounds: list[list[TenantBatch]] = []
        seen: dict[int, int] = defaultdict(int)
        for b in batches:
            if b.run_id in orgs:
                k = seen[orgs[b.run_id]]
                seen[orgs[b.run_id]] += 1
                if k == len(rounds):
                    rounds.append([])
                rounds[k].append(b)
        if rounds:
            type_id = ensure_license_type(con)
            for chosen in rounds:
                _land_round(con, chosen, orgs, type_id, now)
    return left_out


def _plain(exc: BaseException, batch: TenantBatch) -> str:
    return f"tenant {batch.tenant.tenant_id}: {type(exc).__name__}: {exc}"


def land_group(
    store: Store, batches: Sequence[TenantBatch],
    describe: Callable[[BaseException, TenantBatch], str] = _plain,
) -> dict[int, str]:
    """Land a group of tenants; returns run id -> error for every tenant that did not land.

    The whole group is one transaction; if it fails, each tenant is landed alone, and
    ``describe(exc, batch)`` words the error of a tenant that fails alone. A
    :class:`~o365lic.store.StoreBusyError` (another program holds the file) is raised as it
    is: the caller waits and tries the group again.
    """
    if not batches:
        return {}
    try:
        return _land(store, batches)
    except StoreBusyError:
        raise
    except Exception as exc:  # noqa: BLE001 - a group fails whole; its tenants are retried one by one
        if len(batches) == 1:
            return {batches[0].run_id: describe(exc, batches[0])}
    failed: dict[int, str] = {}
    for batch in batches:
        failed.update(land_group(store, [batch], describe))
    return failed
