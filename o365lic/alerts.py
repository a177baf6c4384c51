"""Alerts: what needs attention now, by five rules with thresholds kept in the database.

1. Over-assigned: more users than licenses on an Enabled or Warning SKU.
2. Unused seats: at least ``unused_min_seats`` unused seats that are at least
   ``unused_min_share`` of the SKU's Active ones.
3. Renewal: a subscription reaching its next lifecycle date within ``renewal_days`` of a
   license that has unused seats (they could be dropped before the date).
4. Suspended with users: a Suspended or LockedOut SKU that still has assigned users (this rule,
   not over-assigned, covers such SKUs).
5. Sync overdue: a connected, unpaused tenant whose last successful sync (or its connection,
   if it never synced) is older than ``stale_sync_hours``.

Free SKUs never alert; only connected tenants do.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Literal

import pandas as pd

from o365lic.costs import money
from o365lic.export import guard_cell, iso_utc
from o365lic.renewals import renewals
from o365lic.store import LOCAL_ADMINISTRATOR, Store, Viewer, visibility_clause
from o365lic.store.audit import record_audit

__all__ = [
    "ALERTS_CSV_HEADER",
    "AlertError",
    "AlertKind",
    "AlertSettings",
    "alert_settings",
    "alerts",
    "alerts_csv",
    "alerts_text",
    "save_alert_settings",
]

AlertKind = Literal["Over-assigned", "Unused seats", "Renewal", "Suspended with users", "Sync overdue"]
ALERTS_CSV_HEADER: tuple[str, ...] = ("Kind", "Organization", "Tenant ID", "License", "SKU", "Detail")
_COLUMNS = ["kind", "organization", "tenant_id", "license_name", "sku_part_number", "detail"]


class AlertError(ValueError):
    """A threshold the rules cannot use; the message names it."""


@dataclass(frozen=True)
class AlertSettings:
    """The thresholds of the rules (defaults: 5 seats and 20 %, 30 days, 48 hours)."""

    unused_min_seats: int = 5
    unused_min_share: float = 0.20
    renewal_days: int = 30
    stale_sync_hours: int = 48

    def check(self) -> AlertSettings:
        """These settings, or AlertError naming the first one out of range."""
        if not 1 <= self.unused_min_seats <= 1_000_000:
            raise AlertError("the unused seats threshold must be a whole number from 1 up")
        if not (0 <= self.unused_min_share <= 1) or math.isnan(self.unused_min_share):
            raise AlertError("the unused share must be between 0 % and 100 %")
        if not 0 <= self.renewal_days <= 3650:
            raise AlertError("the renewal window must be from 0 to 3650 days")
        if not 1 <= self.stale_sync_hours <= 8760:
            raise AlertError("the sync age must be from 1 to 8760 hours")
        return self


def alert_settings(store: Store) -> AlertSettings:
    """The saved thresholds (the defaults for any never saved)."""
    saved = dict(store.rows("SELECT name, value FROM alert_settings"))
    values = {}
    for f in fields(AlertSettings):
        if f.name in saved:
            values[f.name] = float(saved[f.name]) if f.type == "float" else int(saved[f.name])
    return AlertSettings(**values)


def save_alert_settings(store: Store, settings: AlertSettings, *, actor: str) -> None:
    """Save the thresholds (all at once); AlertError and nothing saved if one is out of range."""
    settings.check()
    with store.transaction() as con:
        con.execute("DELETE FROM alert_settings")
        con.executemany("INSERT INTO alert_settings (name, value) VALUES (?, ?)",
                        [[k, float(v)] for k, v in asdict(settings).items()])
        record_audit(con, actor, "alert settings", "alert rules",
                     ", ".join(f"{k}={v}" for k, v in asdict(settings).items()))


def _org_clause(organizations: Sequence[str] | None, column: str) -> tuple[str, list[object]]:
    chosen = [o for o in organizations or [] if o]
    if not chosen:
        return "", []
    return f" AND {column} IN ({', '.join('?' * len(chosen))})", list(chosen)


def _license_alerts(store: Store, rules: AlertSettings, organizations: Sequence[str] | None,
                    viewer: Viewer) -> list[dict]:
    clause, params = _org_clause(organizations, "v.organization")
    visible, seen = visibility_clause(viewer, "v.asset_id", "v.restricted")
    clause, params = f"{clause} AND {visible}", params + seen
    rows = store.rows(
        f"""SELECT v.organization, v.tenant_id, coalesce(v.license_name, v.sku_part_number, v.sku_id),
                   coalesce(v.sku_part_number, v.sku_id), v.status, v.active, v.consumed, v.unused, v.over_assigned
            FROM office365_licenses v JOIN integrations i ON i.id = v.integration_id AND i.disconnected_at IS NULL
            WHERE NOT v.is_free{clause} ORDER BY lower(v.organization), lower(v.license_name)""", params)
    out = []
    for org, tenant, name, sku, status, active, consumed, unused, over in rows:
        base = {"organization": org, "tenant_id": tenant, "license_name": name, "sku_part_number": sku}
        active, consumed, unused, over = (int(x or 0) for x in (active, consumed, unused, over))
        if status in ("Enabled", "Warning") and over > 0:
            out.append({**base, "kind": "Over-assigned",
                        "detail": f"{consumed} users hold {active} licenses: {over} over-assigned ({status})"})
        if status in ("Suspended", "LockedOut") and consumed > 0:
            out.append({**base, "kind": "Suspended with users",
                        "detail": f"the SKU is {status} and {consumed} users are still assigned to it"})
        if (active > 0 and unused >= rules.unused_min_seats
                and unused / active >= rules.unused_min_share):
            out.append({**base, "kind": "Unused seats",
                        "detail": f"{unused} of {active} seats unused ({unused / active:.0%})"})
    return out


def _renewal_alerts(store: Store, rules: AlertSettings, organizations: Sequence[str] | None,
                    now: datetime, viewer: Viewer) -> list[dict]:
    table = renewals(store, days=rules.renewal_days, organizations=organizations, now=now, include_free=False,
                     viewer=viewer)
    out = []
    for r in table.itertuples(index=False):
        if pd.isna(r.sku_unused) or int(r.sku_unused) <= 0:
            continue
        cost = "" if pd.isna(r.unused_monthly_cost) else f" ({money(r.unused_monthly_cost, r.currency)} a month)"
        out.append({"kind": "Renewal", "organization": r.organization, "tenant_id": r.tenant_id,
                    "license_name": r.license_name, "sku_part_number": r.sku_part_number,
                    "detail": f"{r.status} subscription of {int(r.total_licenses or 0)} licenses: on "
                              f"{iso_utc(r.next_lifecycle)} it {r.event}; {int(r.sku_unused)} seats of the "
                              f"SKU are unused{cost}"})
    return out


def _sync_alerts(store: Store, rules: AlertSettings, organizations: Sequence[str] | None,
                 now: datetime) -> list[dict]:
    clause, params = _org_clause(organizations, "o.name")
    # Only the overdue tenants come back (the threshold is applied in the database): a few rows,
    # not one per connected tenant.
    rows = store.rows(
        f"""SELECT o.name, i.tenant_id, max(r.finished_at) FILTER (WHERE r.outcome = 'ok'), i.created_at
            FROM integrations i JOIN organizations o ON o.id = i.organization_id
            LEFT JOIN sync_runs r ON r.integration_id = i.id
            WHERE i.disconnected_at IS NULL AND NOT i.paused AND i.match_state = 'matched'{clause}
            GROUP BY o.name, i.tenant_id, i.created_at
            HAVING coalesce(max(r.finished_at) FILTER (WHERE r.outcome = 'ok'), i.created_at) < ?
            ORDER BY lower(o.name), i.tenant_id""",
        [*params, now - timedelta(hours=rules.stale_sync_hours)])
    out = []
    for org, tenant, last_ok, created in rows:
        since = last_ok or created
        hours = (now - since).total_seconds() / 3600
        what = (f"last successful sync {iso_utc(last_ok)}" if last_ok
                else f"never synced since it was connected {iso_utc(created)}")
        out.append({"kind": "Sync overdue", "organization": org, "tenant_id": tenant, "license_name": "",
                    "sku_part_number": "", "detail": f"{what}, {hours:.0f} hours ago"})
    return out


def alerts(
    store: Store,
    *,
    organizations: Sequence[str] | None = None,
    now: datetime | None = None,
    settings: AlertSettings | None = None,
    viewer: Viewer = LOCAL_ADMINISTRATOR,
) -> pd.DataFrame:
    """Every alert: kind, organization, tenant_id, license_name, sku_part_number, detail
    (licenses the viewer may not see are left out)."""
    moment = now or datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    rules = (settings or alert_settings(store)).check()
    found = (_license_alerts(store, rules, organizations, viewer)
             + _renewal_alerts(store, rules, organizations, moment, viewer)
             + _sync_alerts(store, rules, organizations, moment))
    return pd.DataFrame(found, columns=_COLUMNS)


def alerts_csv(table: pd.DataFrame) -> str:
    """The ``alerts --format csv`` text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ALERTS_CSV_HEADER)
    for row in table[_COLUMNS].itertuples(index=False):
        writer.writerow([guard_cell(str(v or "")) for v in row])
    return out.getvalue()


def alerts_text(table: pd.DataFrame) -> str:
    """One line per alert: kind, organization, license and the numbers."""
    lines = []
    for r in table.itertuples(index=False):
        where = f"{r.organization} ({r.tenant_id})" + (f", {r.license_name}" if r.license_name else "")
        lines.append(f"{r.kind}: {where}: {r.detail}")
    return "".join(line + "\n" for line in lines)
