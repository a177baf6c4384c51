"""Streamlit glue for the pages: settings and store holders, cached reads, shared widgets.

Pages never open DuckDB: they read through the cached wrappers here (which call
:mod:`o365lic.reports`) and act through :mod:`o365lic.sync`, :mod:`o365lic.tenants` and
:mod:`o365lic.store`. The :class:`~o365lic.store.Store` object is cached, not a connection:
it opens and closes a connection per operation, so a sync run by cron in another process
can use the file between page reads. Reads are cached for a short while and keyed on plain
arguments; :func:`clear_caches` forgets them after a sync or a settings change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pandas as pd
import streamlit as st

from o365lic import demo, reports
from o365lic.config import ConfigError, Settings, load_settings
from o365lic.export import licenses_csv
from o365lic.store import Store, StoreError, list_organizations

__all__ = [
    "AppContext",
    "CSV_FILE_NAME",
    "CSV_MIME",
    "all_organizations",
    "clear_caches",
    "context",
    "csv_bytes",
    "format_count",
    "format_percent",
    "integrations",
    "is_demo_mode",
    "license_contacts",
    "licenses",
    "licenses_column_config",
    "licenses_table",
    "organization_names",
    "organization_summary",
    "plural",
    "run_page",
    "sync_log",
    "totals",
]

CSV_FILE_NAME = "office365-licenses.csv"
CSV_MIME = "text/csv"
#: Seconds a cached read lives: licenses change only by a sync, which clears the caches.
READ_TTL = 60
#: Sync statuses change while a sync runs (perhaps in another process): shorter.
STATUS_TTL = 5


@dataclass(frozen=True)
class AppContext:
    """What the pages work with: the runtime settings and the store."""

    settings: Settings
    store: Store

    @property
    def demo(self) -> bool:
        """True when the app talks to the built-in Microsoft 365 simulator."""
        return self.settings.demo_mode

    @property
    def db(self) -> str:
        """The database path, the cache key of every read."""
        return str(self.store.path)


@st.cache_resource(show_spinner=False)
def _store(db: str) -> Store:
    return Store(db)


@st.cache_resource(show_spinner="Starting ...")
def _context(key: str, _base: Settings) -> AppContext:
    """Resolve demo mode once per settings: start the simulator, connect the demo tenants."""
    runtime = demo.runtime_settings(_base)
    store = _store(str(runtime.db_path))
    if runtime.demo_mode:
        demo.ensure_demo_tenants(store)
    return AppContext(settings=runtime, store=store)


def context() -> AppContext:
    """The app's settings and store (settings re-read from the environment each run).

    Raises :class:`~o365lic.config.ConfigError` for unusable settings and
    :class:`~o365lic.store.StoreError` when the database cannot be opened;
    :func:`run_page` shows both as messages.
    """
    base = load_settings()
    return _context(f"{base.db_path}|{hash(base)}", base)


def is_demo_mode() -> bool:
    """True when no app registration (client id) is configured."""
    try:
        return load_settings().demo_mode
    except ConfigError:
        return False


def run_page(render: Callable[[], None]) -> None:
    """Run a page body; settings and database problems become an error message, not a traceback."""
    try:
        render()
    except ConfigError as exc:
        st.error(f"The settings cannot be used: {exc}")
    except StoreError as exc:  # includes StoreBusyError (a CLI sync holding the file)
        st.error(str(exc))


# --------------------------------------------------------------------------- cached reads


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _organization_names(db: str) -> list[str]:
    return reports.organization_names(_store(db))


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _all_organizations(db: str) -> list[str]:
    return [name for _, name in list_organizations(_store(db))]


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _licenses(db: str, organizations: tuple[str, ...], search: str, include_free: bool) -> pd.DataFrame:
    return reports.licenses(_store(db), organizations=list(organizations), search=search,
                            include_free=include_free)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _totals(db: str, organizations: tuple[str, ...], search: str, include_free: bool) -> dict[str, float]:
    return reports.totals(_store(db), organizations=list(organizations), search=search,
                          include_free=include_free)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _organization_summary(db: str, organizations: tuple[str, ...], search: str,
                          include_free: bool) -> pd.DataFrame:
    return reports.organization_summary(_store(db), organizations=list(organizations),
                                        search=search, include_free=include_free)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _license_contacts(db: str, asset_id: int) -> pd.DataFrame:
    return reports.license_contacts(_store(db), asset_id)


@st.cache_data(ttl=STATUS_TTL, show_spinner=False)
def _integrations(db: str) -> pd.DataFrame:
    return reports.integrations_table(_store(db))


@st.cache_data(ttl=STATUS_TTL, show_spinner=False)
def _sync_log(db: str, limit: int) -> pd.DataFrame:
    return reports.sync_log(_store(db), limit=limit)


@st.cache_data(ttl=READ_TTL, show_spinner=False, max_entries=64)
def _csv_bytes(db: str, organizations: tuple[str, ...], search: str, include_free: bool) -> bytes:
    return licenses_csv(_licenses(db, organizations, search, include_free)).encode("utf-8")


_CACHED: tuple[Any, ...] = (_organization_names, _all_organizations, _licenses, _totals, _organization_summary,
                            _license_contacts, _integrations, _sync_log, _csv_bytes)


def _key(organizations: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(organizations or ())


def organization_names() -> list[str]:
    """Organizations with a connected tenant or licenses, by name."""
    return _organization_names(context().db)


def all_organizations() -> list[str]:
    """Every organization, by name (to match a new tenant to)."""
    return _all_organizations(context().db)


def licenses(organizations: Sequence[str] | None = None, search: str = "",
             include_free: bool = False) -> pd.DataFrame:
    """The filtered licenses (``reports.licenses``)."""
    return _licenses(context().db, _key(organizations), search.strip(), include_free)


def totals(organizations: Sequence[str] | None = None, search: str = "",
           include_free: bool = False) -> dict[str, float]:
    """Active, Consumed, Unused, Over-assigned and utilisation of the filtered licenses."""
    return _totals(context().db, _key(organizations), search.strip(), include_free)


def organization_summary(organizations: Sequence[str] | None = None, search: str = "",
                         include_free: bool = False) -> pd.DataFrame:
    """Per organization sums of the filtered licenses, by Active."""
    return _organization_summary(context().db, _key(organizations), search.strip(), include_free)


def license_contacts(asset_id: int) -> pd.DataFrame:
    """The contacts tagged on one license asset."""
    return _license_contacts(context().db, int(asset_id))


def integrations() -> pd.DataFrame:
    """The "Active Integrations" table."""
    return _integrations(context().db)


def sync_log(limit: int = 200) -> pd.DataFrame:
    """Recent sync runs, newest first."""
    return _sync_log(context().db, int(limit))


def csv_bytes(organizations: Sequence[str] | None = None, search: str = "",
              include_free: bool = False) -> bytes:
    """The CSV (SPEC section 9) of exactly the filtered licenses, UTF-8 encoded."""
    return _csv_bytes(context().db, _key(organizations), search.strip(), include_free)


def clear_caches() -> None:
    """Forget every cached read (after a sync, a connect or a settings change)."""
    for function in _CACHED:
        function.clear()


# --------------------------------------------------------------------------- display helpers


def format_count(value: float | int | None) -> str:
    """A whole number with thousands separators (``12,345``)."""
    return f"{int(value or 0):,}"


def plural(count: float | int, word: str) -> str:
    """``1 organization``, ``6 organizations``, ``1,204 licenses``."""
    return f"{format_count(count)} {word}{'' if int(count) == 1 else 's'}"


def format_percent(value: float | None) -> str:
    """A ratio as a percentage with one decimal (``87.5%``)."""
    return f"{(value or 0.0) * 100:.1f}%"


def licenses_table(licenses: pd.DataFrame) -> pd.DataFrame:
    """A licenses frame for display: utilisation in percent (``licenses_column_config``)."""
    return licenses.assign(utilisation=licenses["utilisation"] * 100)


def licenses_column_config(*, with_organization: bool = True) -> tuple[list[str], dict[str, Any]]:
    """The column order and ``column_config`` of a licenses table (``st.dataframe``)."""
    order = ["organization"] if with_organization else []
    order += ["license_name", "active", "consumed", "unused", "utilisation", "over_assigned",
              "status", "sku_part_number", "is_free", "synced_at", "tenant_id"]

    def count(label: str, hint: str) -> Any:
        return st.column_config.NumberColumn(label, format="localized", help=hint, width="small")

    config: dict[str, Any] = {
        "organization": st.column_config.TextColumn("Organization", width="medium"),
        "license_name": st.column_config.TextColumn("License", width="medium"),
        "sku_part_number": st.column_config.TextColumn("SKU", width="medium"),
        "status": st.column_config.TextColumn("Status", width="small"),
        "active": count("Active", "Paid units that work (enabled + warning)"),
        "consumed": count("Consumed", "Assigned units"),
        "unused": count("Unused", "Active units nobody is assigned"),
        "over_assigned": count("Over-assigned", "Assigned units beyond Active"),
        "utilisation": st.column_config.ProgressColumn(
            "Utilisation", format="%.0f%%", min_value=0.0, max_value=100.0, width="medium",
            help="Consumed / Active (over 100% when over-assigned)"),
        "is_free": st.column_config.CheckboxColumn("Free", help="Free, viral or trial SKU", width="small"),
        "synced_at": st.column_config.DatetimeColumn("Last synced", format="YYYY-MM-DD HH:mm",
                                                     width="medium"),
        "tenant_id": st.column_config.TextColumn("Tenant ID", width="medium"),
    }
    return order, config
