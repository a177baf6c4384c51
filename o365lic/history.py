"""History: trends of Active and Consumed, and the change since a chosen moment.

Read from ``license_snapshots``. Every query treats a snapshot as the state of its tenant x SKU
from its time until the next snapshot of that tenant x SKU, so the answers are the same whether
the sync writes a row on every run or only when the numbers change (with a closing row of
zeros for a SKU that disappears): the state at a moment is the latest snapshot at or before it,
and a license with no snapshot yet at that moment counts 0.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Literal

import pandas as pd

from o365lic.export import guard_cell
from o365lic.store import LOCAL_ADMINISTRATOR, Store, Viewer, visibility_clause

__all__ = [
    "HISTORY_CSV_HEADER",
    "HistoryError",
    "TrendLevel",
    "change_sentence",
    "change_since",
    "history_csv",
    "parse_since",
    "trend",
]

TrendLevel = Literal["license", "organization", "global"]
HISTORY_CSV_HEADER: tuple[str, ...] = (
    "Organization", "Tenant ID", "License", "SKU", "Active Then", "Active Now", "Consumed Then", "Consumed Now",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class HistoryError(ValueError):
    """A moment that cannot be read; the message shows the accepted forms."""


def parse_since(text: str) -> datetime:
    """A date (``2026-10-26``, meaning 00:00 UTC that day) or an ISO 8601 timestamp
    (``2026-10-26T08:30:00Z``; without an offset it is taken as UTC), as an aware UTC time."""
    value = (text or "").strip()
    try:
        if _DATE.match(value):
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise HistoryError(f"{value!r} is not a date such as 2026-10-26 or an ISO 8601 time such as "
                           "2026-10-26T08:30:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _scope(organizations: Sequence[str] | None, viewer: Viewer) -> tuple[str, list[object]]:
    """Snapshots with their organization's name, limited to the chosen organizations and to
    the licenses the viewer may see (a restricted asset hides its history too)."""
    chosen: list[object] = [o for o in organizations or [] if o]
    clauses = [f"o.name IN ({', '.join('?' * len(chosen))})"] if chosen else []
    if not viewer.sees_everything:
        visible, seen = visibility_clause(viewer, "fa.id", "fa.restricted")
        clauses.append("NOT EXISTS (SELECT 1 FROM flexible_assets fa WHERE fa.integration_id = s.integration_id "
                       f"AND fa.sku_id = s.sku_id AND NOT ({visible}))")
        chosen.extend(seen)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"""scoped AS (
        SELECT s.integration_id, s.sku_id, s.taken_at, s.sync_run_id, s.tenant_id, o.name AS organization,
               s.sku_part_number, coalesce(s.license_name, s.sku_part_number, s.sku_id) AS license_name,
               coalesce(s.active, 0) AS active, coalesce(s.consumed, 0) AS consumed,
               coalesce(s.is_free, FALSE) AS is_free
        FROM license_snapshots s JOIN organizations o ON o.id = s.organization_id {where})"""
    return sql, list(chosen)


def change_since(
    store: Store,
    since: datetime,
    *,
    organizations: Sequence[str] | None = None,
    include_free: bool = False,
    viewer: Viewer = LOCAL_ADMINISTRATOR,
) -> pd.DataFrame:
    """Per license: organization, tenant_id, license_name, sku_part_number, sku_id, active_then,
    active_now, consumed_then, consumed_now, active_change, consumed_change. "Then" is the
    latest snapshot at or before ``since`` (0 for a license not there yet); "now" the latest
    snapshot. Licenses that were and are 0 on both sides are left out."""
    scoped, params = _scope(organizations, viewer)
    frame = store.df(
        f"""
        WITH {scoped},
        latest AS (
            SELECT integration_id, sku_id,
                   arg_max(organization, (taken_at, sync_run_id)) AS organization,
                   arg_max(tenant_id, (taken_at, sync_run_id)) AS tenant_id,
                   arg_max(license_name, (taken_at, sync_run_id)) AS license_name,
                   arg_max(sku_part_number, (taken_at, sync_run_id)) AS sku_part_number,
                   arg_max(is_free, (taken_at, sync_run_id)) AS is_free,
                   arg_max(active, (taken_at, sync_run_id)) AS active_now,
                   arg_max(consumed, (taken_at, sync_run_id)) AS consumed_now
            FROM scoped GROUP BY integration_id, sku_id),
        then_ AS (
            SELECT integration_id, sku_id,
                   arg_max(active, (taken_at, sync_run_id)) AS active_then,
                   arg_max(consumed, (taken_at, sync_run_id)) AS consumed_then
            FROM scoped WHERE taken_at <= ? GROUP BY integration_id, sku_id)
        SELECT l.organization, l.tenant_id, l.license_name, l.sku_part_number, l.sku_id, l.is_free,
               coalesce(t.active_then, 0)::BIGINT AS active_then, l.active_now::BIGINT AS active_now,
               coalesce(t.consumed_then, 0)::BIGINT AS consumed_then, l.consumed_now::BIGINT AS consumed_now
        FROM latest l LEFT JOIN then_ t USING (integration_id, sku_id)
        WHERE coalesce(t.active_then, 0) <> 0 OR coalesce(t.consumed_then, 0) <> 0
           OR l.active_now <> 0 OR l.consumed_now <> 0
        ORDER BY lower(l.organization), lower(l.license_name), l.sku_id
        """,
        params + [since],
    )
    if not include_free:
        frame = frame[~frame["is_free"].astype(bool)].reset_index(drop=True)
    frame["active_change"] = frame["active_now"] - frame["active_then"]
    frame["consumed_change"] = frame["consumed_now"] - frame["consumed_then"]
    return frame.drop(columns=["is_free"])


def trend(
    store: Store,
    level: TrendLevel = "global",
    *,
    organizations: Sequence[str] | None = None,
    include_free: bool = False,
    by_day: bool = False,
    viewer: Viewer = LOCAL_ADMINISTRATOR,
) -> pd.DataFrame:
    """Active and Consumed over time: one point per moment a snapshot was taken (or, with
    ``by_day``, per day's last snapshot), each license carried at its latest value up to that
    moment. Columns: taken_at, [organization, tenant_id, license_name, sku_id for "license";
    organization for "organization"], active, consumed."""
    scoped, params = _scope(organizations, viewer)
    free = "" if include_free else "WHERE NOT is_free"
    moments = ("SELECT max(taken_at) AS taken_at FROM scoped GROUP BY date_trunc('day', taken_at)"
               if by_day else "SELECT DISTINCT taken_at FROM scoped")
    groups = {"license": "organization, tenant_id, license_name, sku_id",
              "organization": "organization", "global": ""}[level]
    select_groups = f"{groups}, " if groups else ""
    return store.df(
        f"""
        WITH {scoped},
        moments AS ({moments}),
        keys AS (SELECT DISTINCT integration_id, sku_id FROM scoped),
        grid AS (SELECT k.integration_id, k.sku_id, m.taken_at FROM keys k CROSS JOIN moments m),
        filled AS (
            SELECT g.taken_at, s.organization, s.tenant_id, s.license_name, s.sku_id, s.active, s.consumed,
                   s.is_free
            FROM grid g ASOF JOIN scoped s
              ON g.integration_id = s.integration_id AND g.sku_id = s.sku_id AND g.taken_at >= s.taken_at)
        SELECT taken_at, {select_groups}sum(active)::BIGINT AS active, sum(consumed)::BIGINT AS consumed
        FROM filled {free}
        GROUP BY taken_at{", " + groups if groups else ""}
        ORDER BY taken_at{", " + groups if groups else ""}
        """,
        params,
    )


def history_csv(table: pd.DataFrame) -> str:
    """The ``history`` CSV of a table from :func:`change_since`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HISTORY_CSV_HEADER)
    for r in table.itertuples(index=False):
        writer.writerow([guard_cell(str(r.organization)), guard_cell(str(r.tenant_id)),
                         guard_cell(str(r.license_name or "")), guard_cell(str(r.sku_part_number or "")),
                         int(r.active_then), int(r.active_now), int(r.consumed_then), int(r.consumed_now)])
    return out.getvalue()


def change_sentence(license_name: str, change: int, since: datetime) -> str:
    """``+12 Microsoft 365 E3 seats since 26 October`` (plain text: render it as text)."""
    day = since.astimezone(UTC)
    when = f"{day.day} {day:%B}" + (f" {day.year}" if day.year != datetime.now(UTC).year else "")
    seats = "seat" if abs(change) == 1 else "seats"
    return f"{change:+d} {license_name} {seats} since {when}"
