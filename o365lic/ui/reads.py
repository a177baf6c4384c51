"""Cached reads for the pages, keyed on plain, hashable arguments.

Every reader is declared with :func:`cached`, which registers it, so :func:`clear_caches`
forgets them all after a sync or a settings change: nothing to remember when adding one.
License reads take one :class:`~o365lic.reports.LicenseFilter` (which names the viewer), so an
asset restricted to groups never reaches someone outside them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from o365lic import export, reports
from o365lic.reports import LicenseFilter
from o365lic.store import MatchState, Store, Viewer, list_groups, viewer_for
from o365lic.store.audit import audit_log as _audit_log
from o365lic.store.overview import TenantOrder, tenant_status_counts, tenants_page
from o365lic.ui.context import context, store_of

__all__ = [
    "READ_TTL",
    "SETTLE_SECONDS",
    "STATUS_TTL",
    "alerts",
    "all_organizations",
    "app_users",
    "audit_log",
    "cached",
    "change_since",
    "clear_caches",
    "csv_bytes",
    "data_version",
    "groups",
    "integrations",
    "license_assets",
    "license_contacts",
    "license_costs",
    "licenses",
    "match_state_count",
    "organization_contacts",
    "organization_names",
    "organization_summary",
    "overlaps",
    "reclaimable",
    "renewals",
    "report_bytes",
    "sync_log",
    "tenant_counts",
    "tenant_matches",
    "tenant_rows",
    "tenant_states",
    "tenants_for_download",
    "totals",
    "trend",
    "viewer_from_db",
]

#: Seconds a cached read lives at most: licenses change by a sync (one run in this app clears the
#: caches; one elsewhere is noticed through :func:`data_version`, see :func:`_db`).
READ_TTL = 60
#: The same for the sync statuses, runs and alerts, which a sync changes as it runs: they are
#: forgotten as soon as anything writes the database (:func:`_db`), so the TTL only bounds the
#: facts that change with the clock alone (a sync becoming overdue).
STATUS_TTL = READ_TTL
#: Seconds the database must stay unwritten before a write made elsewhere also clears the license
#: reads: while a sync lands group after group, the statuses follow each group and the license
#: reads are kept, then forgotten once it has finished.
SETTLE_SECONDS = 5.0

F = TypeVar("F", bound=Callable[..., Any])
_REGISTRY: list[Any] = []
#: The reads of what a sync changes as it runs (statuses, runs, alerts, the audit log).
_STATUS_REGISTRY: list[Any] = []


def cached(ttl: int = READ_TTL, max_entries: int | None = None, *, status: bool = False) -> Callable[[F], F]:
    """``st.cache_data`` that also registers the function, so :func:`clear_caches` clears it;
    ``status``: a read of what a sync changes as it runs (:data:`STATUS_TTL`), forgotten at each write."""
    def register(function: F) -> F:
        wrapped = st.cache_data(ttl=STATUS_TTL if status else ttl, show_spinner=False,
                                max_entries=max_entries)(function)
        _REGISTRY.append(wrapped)
        if status:
            _STATUS_REGISTRY.append(wrapped)
        return wrapped  # type: ignore[return-value]
    return register


def clear_caches() -> None:
    """Forget every cached read (after a sync, a connect or a settings change)."""
    for function in _REGISTRY:
        function.clear()


def _clear_status_reads() -> None:
    for function in _STATUS_REGISTRY:
        function.clear()


def data_version(db: str) -> tuple[tuple[int, int] | None, ...]:
    """What changes whenever anything writes the database, from any process: the modification time
    and size of the file and of its write-ahead log (a read changes neither). One ``stat`` each."""
    found: list[tuple[int, int] | None] = []
    for path in (db, f"{db}.wal"):
        try:
            status = os.stat(path)
        except OSError:
            found.append(None)
        else:
            found.append((status.st_mtime_ns, status.st_size))
    return tuple(found)


def _last_write(version: tuple[tuple[int, int] | None, ...]) -> float:
    """When the database was last written (seconds since the epoch), from :func:`data_version`."""
    return max((found[0] for found in version if found is not None), default=0) / 1e9


@dataclass
class _Seen:
    version: tuple[tuple[int, int] | None, ...]
    settled: bool  # every read cleared since that change


_seen: dict[str, _Seen] = {}
_seen_lock = threading.Lock()


def _db() -> str:
    """The database every read is keyed on, after forgetting the cached reads the database has
    outdated since the last read looked (a write from any process: a sync, a setting, a connect).

    At a change of :func:`data_version` the status reads are forgotten at once; every other read
    once the database has stayed unwritten for :data:`SETTLE_SECONDS` since its last write (at once
    when a sync in this app ends: it calls :func:`clear_caches`). Results are reused across reruns until then."""
    db = context().db
    version = data_version(db)
    with _seen_lock:
        seen = _seen.get(db)
        if seen is None:  # the first read of this process (or since a reload): trust no cache
            _seen[db] = _Seen(version, settled=True)
            everything, statuses = True, False
        else:
            statuses = seen.version != version
            if statuses:
                seen.version, seen.settled = version, False
            # by the files' own times: a write long before this read clears everything at once
            everything = not seen.settled and time.time() - _last_write(version) >= SETTLE_SECONDS
            if everything:
                seen.settled = True
    if everything:
        clear_caches()
    elif statuses:
        _clear_status_reads()
    return db


@cached()
def _organization_names(db: str, who: Viewer) -> list[str]:
    return reports.organization_names(store_of(db), who)


@cached()
def _licenses(db: str, chosen: LicenseFilter) -> pd.DataFrame:
    return reports.licenses(store_of(db), chosen)


@cached()
def _totals(db: str, chosen: LicenseFilter) -> dict[str, float]:
    return reports.totals(store_of(db), chosen)


@cached()
def _organization_summary(db: str, chosen: LicenseFilter) -> pd.DataFrame:
    return reports.organization_summary(store_of(db), chosen)


@cached()
def _license_assets(db: str, chosen: LicenseFilter) -> pd.DataFrame:
    return reports.license_assets(store_of(db), chosen)


@cached()
def _license_contacts(db: str, asset_id: int, who: Viewer) -> pd.DataFrame:
    return reports.license_contacts(store_of(db), asset_id, who)


@cached()
def _organization_contacts(db: str, organization: str, who: Viewer) -> pd.DataFrame:
    return reports.organization_contacts(store_of(db), organization, who)


@cached(status=True)
def _integrations(db: str, match_state: MatchState | None, who: Viewer) -> pd.DataFrame:
    return reports.integrations_table(store_of(db), match_state=match_state, viewer=who)


def _hidden(store: Store, who: Viewer) -> tuple[str, ...]:
    return () if who.sees_everything else tuple(sorted(reports.hidden_organizations(store, who)))


@cached(status=True)
def _tenant_rows(db: str, match_state: MatchState | None, who: Viewer, search: str, status: str | None,
                 order: TenantOrder, limit: int | None, offset: int) -> pd.DataFrame:
    return tenants_page(store_of(db), match_state=match_state, hidden=_hidden(store_of(db), who), search=search,
                        status=status, order=order, limit=limit, offset=offset)


@cached(status=True)
def _tenant_counts(db: str, match_state: MatchState | None, who: Viewer, search: str) -> dict[str, int]:
    return tenant_status_counts(store_of(db), match_state=match_state, hidden=_hidden(store_of(db), who),
                                search=search)


@cached(status=True)
def _tenant_matches(db: str, match_state: MatchState) -> pd.DataFrame:
    return reports.tenant_matches(store_of(db), match_state)


@cached(status=True)
def _sync_log(db: str, limit: int, organization: str | None, outcome: str | None,
              since: datetime | None, who: Viewer) -> pd.DataFrame:
    return reports.sync_log(store_of(db), limit=limit, organization=organization, outcome=outcome, since=since,
                            viewer=who)


@cached(max_entries=64)
def _csv_bytes(db: str, chosen: LicenseFilter) -> bytes:
    return export.licenses_csv(_licenses(db, chosen)).encode("utf-8")


@cached()
def _app_users(db: str) -> pd.DataFrame:
    return reports.app_users_table(store_of(db))


@cached()
def _groups(db: str) -> list[tuple[int, str, list[int]]]:
    return list_groups(store_of(db))


@cached(status=True)
def _audit(db: str) -> pd.DataFrame:
    return _audit_log(store_of(db))


def organization_names(who: Viewer) -> list[str]:
    """Every organization ``who`` may know of (with or without licenses), by name."""
    return _organization_names(_db(), who)


def all_organizations(who: Viewer) -> list[str]:
    """Every organization ``who`` may know of, by name (to match a tenant to, to filter by)."""
    return organization_names(who)


def licenses(chosen: LicenseFilter) -> pd.DataFrame:
    """The licenses of a filter (``reports.licenses``)."""
    return _licenses(_db(), chosen)


def totals(chosen: LicenseFilter) -> dict[str, float]:
    """Active, Consumed, Unused, Over-assigned and utilisation of a filter's licenses."""
    return _totals(_db(), chosen)


def organization_summary(chosen: LicenseFilter) -> pd.DataFrame:
    """Per organization sums of a filter's licenses, by Active."""
    return _organization_summary(_db(), chosen)


def license_assets(chosen: LicenseFilter) -> pd.DataFrame:
    """Synced flag, notes and security settings of a filter's license assets."""
    return _license_assets(_db(), chosen)


def license_contacts(asset_id: int, who: Viewer) -> pd.DataFrame:
    """The contacts tagged on one license asset (none when ``who`` may not see it)."""
    return _license_contacts(_db(), int(asset_id), who)


def organization_contacts(organization: str, who: Viewer) -> pd.DataFrame:
    """One organization's contacts with the licenses ``who`` may see tagged on them."""
    return _organization_contacts(_db(), organization, who)


def integrations(who: Viewer, match_state: MatchState | None = None) -> pd.DataFrame:
    """The "Active Integrations" table ``who`` may see (``match_state="matched"``: those that sync)."""
    return _integrations(_db(), match_state, who)


def tenant_rows(who: Viewer, match_state: MatchState | None = None, *, search: str = "", status: str | None = None,
                order: TenantOrder = "organization", limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """One page of the connected tenants ``who`` may see (set-based: ``store.overview.tenants_page``)."""
    return _tenant_rows(_db(), match_state, who, search.strip().lower(), status or None, order,
                        None if limit is None else int(limit), int(offset))


def tenant_counts(who: Viewer, match_state: MatchState | None = None, *, search: str = "") -> dict[str, int]:
    """How many of the tenants ``who`` may see have each status (problems first)."""
    return _tenant_counts(_db(), match_state, who, search.strip().lower())


def tenants_for_download(store: Store, who: Viewer, match_state: MatchState | None = None, *, search: str = "",
                          status: str | None = None) -> pd.DataFrame:
    """Every tenant of a filter, problems first, never cached: for a download built when it is
    clicked (outside the page's run, so it takes the store rather than the page's context)."""
    return tenants_page(store, match_state=match_state, hidden=_hidden(store, who), search=search.strip().lower(),
                        status=status or None, order="attention")


@cached(status=True)
def _match_state_count(db: str, match_state: MatchState) -> int:
    return sum(tenant_status_counts(store_of(db), match_state=match_state).values())


def match_state_count(match_state: MatchState) -> int:
    """How many connected or discovered tenants are in one match state (one cheap count, no suggestions)."""
    return _match_state_count(_db(), match_state)


def tenant_matches(match_state: MatchState) -> pd.DataFrame:
    """The tenants in one match state, with suggestions for the unmatched ones."""
    return _tenant_matches(_db(), match_state)


def sync_log(who: Viewer, limit: int = 200, *, organization: str | None = None, outcome: str | None = None,
             since: datetime | None = None) -> pd.DataFrame:
    """Recent sync runs ``who`` may see, newest first, optionally of one organization, outcome, day."""
    return _sync_log(_db(), int(limit), organization or None, outcome or None, since, who)


def csv_bytes(chosen: LicenseFilter) -> bytes:
    """The CSV (SPEC section 9) of exactly a filter's licenses, UTF-8 encoded."""
    return _csv_bytes(_db(), chosen)


def app_users() -> pd.DataFrame:
    """The app's users with role and groups."""
    return _app_users(_db())


def groups() -> list[tuple[int, str, list[int]]]:
    """(id, name, member user ids) of every group."""
    return _groups(_db())


def audit_log() -> pd.DataFrame:
    """The audit log, newest first (When, Who, Action, Target, Detail)."""
    return _audit(_db())


def viewer_from_db(email: str, name: str | None) -> Viewer:
    """The viewer of a signed-in e-mail, role and groups as the database says now (never cached:
    a role changed by an Administrator takes effect on the next run of every open page)."""
    return viewer_for(context().store, email, name)


# --- Readers of the Global and Organization pages' sections (costs, alerts, renewals, history,
# insights, tenant states). Each takes plain hashable arguments and the viewer.


@cached()
def _license_costs(db: str, chosen: LicenseFilter) -> pd.DataFrame:
    from o365lic.cost_reports import license_costs as read

    return read(store_of(db), chosen)


def license_costs(chosen: LicenseFilter) -> pd.DataFrame:
    """The licenses of a filter with their prices applied (``cost_reports.license_costs``)."""
    return _license_costs(_db(), chosen)


@cached(status=True)
def _tenant_states(db: str, who: Viewer) -> tuple[pd.DataFrame, int]:
    from o365lic.alerts import alert_settings

    store = store_of(db)  # the rows of reports.integrations_table, read set-based
    return (tenants_page(store, hidden=_hidden(store, who)), int(alert_settings(store).stale_sync_hours))


def tenant_states(who: Viewer) -> tuple[pd.DataFrame, int]:
    """The connected tenants (``reports.integrations_table``) and the hours after which a tenant's
    data counts as stale (the alert threshold)."""
    return _tenant_states(_db(), who)


@cached(status=True)
def _alerts(db: str, organizations: tuple[str, ...], who: Viewer) -> pd.DataFrame:
    from o365lic.alerts import alerts as read

    return read(store_of(db), organizations=list(organizations) or None, viewer=who)


def alerts(organizations: tuple[str, ...], who: Viewer) -> pd.DataFrame:
    """What needs attention now (``alerts.alerts``) in these organizations (all when empty)."""
    return _alerts(_db(), tuple(organizations), who)


@cached()
def _renewals(db: str, days: int, organizations: tuple[str, ...], include_free: bool, who: Viewer) -> pd.DataFrame:
    from o365lic.renewals import renewals as read

    return read(store_of(db), days=days, organizations=list(organizations) or None, include_free=include_free,
                viewer=who)


def renewals(days: int, organizations: tuple[str, ...], include_free: bool, who: Viewer) -> pd.DataFrame:
    """Subscriptions whose next lifecycle date falls within ``days`` (``renewals.renewals``)."""
    return _renewals(_db(), int(days), tuple(organizations), bool(include_free), who)


@cached()
def _trend(db: str, level: str, organizations: tuple[str, ...], include_free: bool, who: Viewer) -> pd.DataFrame:
    from o365lic.history import trend as read

    return read(store_of(db), level, organizations=list(organizations) or None,  # type: ignore[arg-type]
                include_free=include_free, viewer=who)


def trend(level: str, organizations: tuple[str, ...], include_free: bool, who: Viewer) -> pd.DataFrame:
    """Active and Consumed over time (``history.trend``) at ``level``."""
    return _trend(_db(), level, tuple(organizations), bool(include_free), who)


@cached()
def _change_since(db: str, since: datetime, organizations: tuple[str, ...], include_free: bool,
                  who: Viewer) -> pd.DataFrame:
    from o365lic.history import change_since as read

    return read(store_of(db), since, organizations=list(organizations) or None, include_free=include_free,
                viewer=who)


def change_since(since: datetime, organizations: tuple[str, ...], include_free: bool, who: Viewer) -> pd.DataFrame:
    """Per license, Active and Consumed then and now (``history.change_since``)."""
    return _change_since(_db(), since, tuple(organizations), bool(include_free), who)


@cached()
def _reclaimable(db: str, chosen: LicenseFilter) -> pd.DataFrame:
    from o365lic.insights import reclaimable_licenses

    return reclaimable_licenses(store_of(db), chosen)


def reclaimable(organizations: tuple[str, ...], include_free: bool, who: Viewer) -> pd.DataFrame:
    """Licenses assigned to disabled accounts (``insights.reclaimable_licenses``)."""
    return _reclaimable(_db(), LicenseFilter.of(organizations, include_free=include_free, viewer=who))


@cached()
def _overlaps(db: str, chosen: LicenseFilter) -> pd.DataFrame:
    from o365lic.insights import overlapping_licenses

    return overlapping_licenses(store_of(db), chosen)


def overlaps(organizations: tuple[str, ...], who: Viewer) -> pd.DataFrame:
    """Users holding licenses whose plans overlap (``insights.overlapping_licenses``)."""
    return _overlaps(_db(), LicenseFilter.of(organizations, viewer=who))


def report_bytes(organization: str, fmt: str, who: Viewer) -> bytes:
    """One organization's customer report (``report.report_bytes``): never cached, built on demand."""
    from o365lic.report import report_bytes as build

    return build(context().store, organization, fmt, viewer=who)  # type: ignore[arg-type]
