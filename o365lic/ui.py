"""Streamlit glue for the pages: settings and store holders, cached reads, shared widgets.

Pages never open DuckDB: they read through the cached wrappers here (which call
:mod:`o365lic.reports`) and act through :mod:`o365lic.sync`, :mod:`o365lic.tenants` and
:mod:`o365lic.store`. The :class:`~o365lic.store.Store` object is cached, not a connection:
it opens and closes a connection per operation, so a sync run by cron in another process
can use the file between page reads. Reads are cached for a short while and keyed on plain
arguments; :func:`clear_caches` forgets them after a sync or a settings change.

Who is looking: :func:`viewer` (sign-in with Streamlit's OIDC when ``[auth]`` is configured,
else the local Administrator). The license reads take the viewer and are cached per viewer, so
an asset restricted to groups never reaches someone outside them; :func:`allowed` says what
the viewer may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

import pandas as pd
import streamlit as st

from o365lic import demo, export, reports
from o365lic.config import SECRETS_FILE, ConfigError, Settings, load_settings
from o365lic.export import licenses_csv
from o365lic.store import (
    LOCAL_ADMINISTRATOR,
    MatchState,
    Permission,
    Store,
    StoreError,
    Viewer,
    can,
    list_groups,
    list_organizations,
    viewer_for,
)

__all__ = [
    "AppContext",
    "CSV_FILE_NAME",
    "CSV_MIME",
    "SYNC_LOG_FILE_NAME",
    "all_organizations",
    "allowed",
    "app_users",
    "auth_configured",
    "clear_caches",
    "context",
    "csv_bytes",
    "format_count",
    "format_percent",
    "groups",
    "integrations",
    "is_demo_mode",
    "license_assets",
    "license_contacts",
    "licenses",
    "licenses_column_config",
    "licenses_table",
    "not_allowed",
    "organization_names",
    "organization_summary",
    "plural",
    "run_page",
    "show_viewer",
    "sync_log",
    "sync_log_csv",
    "tenant_matches",
    "totals",
    "viewer",
]

CSV_FILE_NAME = "office365-licenses.csv"
CSV_MIME = "text/csv"
SYNC_LOG_FILE_NAME = "o365lic-sync-log.csv"
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


#: A viewer as a plain, hashable cache key (the reads are cached per viewer).
ViewerKey = tuple[str, str, str, int | None, tuple[int, ...]]


def _viewer_key(who: Viewer) -> ViewerKey:
    return (who.email, who.display_name, who.role, who.user_id, tuple(sorted(who.group_ids)))


def _as_viewer(key: ViewerKey) -> Viewer:
    email, name, role, user_id, group_ids = key
    return Viewer(email=email, display_name=name, role=role, user_id=user_id,  # type: ignore[arg-type]
                  group_ids=frozenset(group_ids))


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _organization_names(db: str) -> list[str]:
    return reports.organization_names(_store(db))


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _all_organizations(db: str) -> list[str]:
    return [name for _, name in list_organizations(_store(db))]


#: The functions of :mod:`o365lic.reports` that take the same license filters; cached by
#: name and plain arguments.
_FILTERED_READS = frozenset({"licenses", "totals", "organization_summary", "license_assets"})


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _filtered(read: str, db: str, organizations: tuple[str, ...], search: str, include_free: bool,
              who: ViewerKey) -> Any:
    if read not in _FILTERED_READS:
        raise ValueError(f"not a filtered license read: {read}")
    return getattr(reports, read)(_store(db), organizations=list(organizations), search=search,
                                  include_free=include_free, viewer=_as_viewer(who))


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _license_contacts(db: str, asset_id: int) -> pd.DataFrame:
    return reports.license_contacts(_store(db), asset_id)


@st.cache_data(ttl=STATUS_TTL, show_spinner=False)
def _integrations(db: str, match_state: str | None) -> pd.DataFrame:
    return reports.integrations_table(_store(db), match_state=match_state)  # type: ignore[arg-type]


@st.cache_data(ttl=STATUS_TTL, show_spinner=False)
def _tenant_matches(db: str, match_state: str) -> pd.DataFrame:
    return reports.tenant_matches(_store(db), match_state)  # type: ignore[arg-type]


@st.cache_data(ttl=STATUS_TTL, show_spinner=False)
def _sync_log(db: str, limit: int, organization: str | None, outcome: str | None,
              since: datetime | None) -> pd.DataFrame:
    return reports.sync_log(_store(db), limit=limit, organization=organization, outcome=outcome, since=since)


@st.cache_data(ttl=READ_TTL, show_spinner=False, max_entries=64)
def _csv_bytes(db: str, organizations: tuple[str, ...], search: str, include_free: bool,
               who: ViewerKey) -> bytes:
    return licenses_csv(_filtered("licenses", db, organizations, search, include_free, who)).encode("utf-8")


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _app_users(db: str) -> pd.DataFrame:
    return reports.app_users_table(_store(db))


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _groups(db: str) -> list[tuple[int, str, list[int]]]:
    return list_groups(_store(db))


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def _viewer_for(db: str, email: str, name: str | None) -> Viewer:
    return viewer_for(_store(db), email, name)


_CACHED: tuple[Any, ...] = (_organization_names, _all_organizations, _filtered, _license_contacts,
                            _integrations, _tenant_matches, _sync_log, _csv_bytes, _app_users, _groups,
                            _viewer_for)


def _key(organizations: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(organizations or ())


def organization_names() -> list[str]:
    """Organizations with a connected tenant or licenses, by name."""
    return _organization_names(context().db)


def all_organizations() -> list[str]:
    """Every organization, by name (to match a new tenant to)."""
    return _all_organizations(context().db)


def licenses(organizations: Sequence[str] | None = None, search: str = "",
             include_free: bool = False, *, viewer: Viewer) -> pd.DataFrame:
    """The filtered licenses ``viewer`` may see (``reports.licenses``)."""
    return _filtered("licenses", context().db, _key(organizations), search.strip(), include_free,
                     _viewer_key(viewer))


def totals(organizations: Sequence[str] | None = None, search: str = "",
           include_free: bool = False, *, viewer: Viewer) -> dict[str, float]:
    """Active, Consumed, Unused, Over-assigned and utilisation of the filtered licenses ``viewer`` may see."""
    return _filtered("totals", context().db, _key(organizations), search.strip(), include_free,
                     _viewer_key(viewer))


def organization_summary(organizations: Sequence[str] | None = None, search: str = "",
                         include_free: bool = False, *, viewer: Viewer) -> pd.DataFrame:
    """Per organization sums of the filtered licenses ``viewer`` may see, by Active."""
    return _filtered("organization_summary", context().db, _key(organizations), search.strip(),
                     include_free, _viewer_key(viewer))


def license_assets(organizations: Sequence[str] | None = None, search: str = "",
                   include_free: bool = False, *, viewer: Viewer) -> pd.DataFrame:
    """Synced flag, notes and security settings of the license assets ``viewer`` may see."""
    return _filtered("license_assets", context().db, _key(organizations), search.strip(),
                     include_free, _viewer_key(viewer))


def license_contacts(asset_id: int) -> pd.DataFrame:
    """The contacts tagged on one license asset."""
    return _license_contacts(context().db, int(asset_id))


def integrations(match_state: MatchState | None = None) -> pd.DataFrame:
    """The "Active Integrations" table (``match_state="matched"``: only the tenants that sync)."""
    return _integrations(context().db, match_state)


def tenant_matches(match_state: MatchState) -> pd.DataFrame:
    """The tenants in one match state, with suggestions for the unmatched ones."""
    return _tenant_matches(context().db, match_state)


def sync_log(limit: int = 200, *, organization: str | None = None, outcome: str | None = None,
             since: datetime | None = None) -> pd.DataFrame:
    """Recent sync runs, newest first, optionally of one organization, one outcome, since a time."""
    return _sync_log(context().db, int(limit), organization or None, outcome or None, since)


def sync_log_csv(log: pd.DataFrame) -> bytes:
    """The CSV of a sync log (``export.sync_log_csv``), UTF-8 encoded."""
    return export.sync_log_csv(log).encode("utf-8")


def csv_bytes(organizations: Sequence[str] | None = None, search: str = "",
              include_free: bool = False, *, viewer: Viewer) -> bytes:
    """The CSV (SPEC section 9) of exactly the filtered licenses ``viewer`` may see, UTF-8 encoded."""
    return _csv_bytes(context().db, _key(organizations), search.strip(), include_free, _viewer_key(viewer))


def app_users() -> pd.DataFrame:
    """The app's users with role and groups."""
    return _app_users(context().db)


def groups() -> list[tuple[int, str, list[int]]]:
    """(id, name, member user ids) of every group."""
    return _groups(context().db)


def clear_caches() -> None:
    """Forget every cached read (after a sync, a connect or a settings change)."""
    for function in _CACHED:
        function.clear()


# --------------------------------------------------------------------------- who is viewing


def _auth_section() -> Mapping[str, Any] | None:
    """The ``[auth]`` section of secrets.toml, or None when there is none (or no secrets file).

    A secrets file that exists but cannot be read raises :class:`ConfigError` (fail closed:
    it may hold the ``[auth]`` section, so nobody gets in as the local Administrator).
    """
    try:
        if "auth" not in st.secrets:
            return None
        section = st.secrets["auth"]
    except FileNotFoundError:  # Streamlit's "no secrets" (also raised for an unparsable file)
        if SECRETS_FILE.is_file():
            raise ConfigError(f"{SECRETS_FILE} could not be read, so sign-in ([auth]) cannot be checked") from None
        return None
    return section if isinstance(section, Mapping) else None


def auth_configured() -> bool:
    """True when ``[auth]`` (Streamlit's OIDC sign-in) is configured in secrets.toml."""
    return _auth_section() is not None


def _auth_provider() -> str | None:
    """The provider to pass to ``st.login``: ``microsoft`` when ``[auth.microsoft]`` exists,
    the only named provider when there is one, else None (the unnamed ``[auth]`` provider)."""
    section = _auth_section() or {}
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    if "microsoft" in named:
        return "microsoft"
    return named[0] if len(named) == 1 else None


def _sign_in_screen() -> None:
    """Ask a signed-out visitor to sign in, and stop the run (nothing else is drawn)."""
    provider = _auth_provider()
    label = ("Sign in with Microsoft" if provider in (None, "microsoft")
             else f"Sign in with {provider.replace('_', ' ').title()}")  # type: ignore[union-attr]
    st.title("o365lic")
    st.write("Microsoft 365 licenses of your customers. Sign in to continue.")
    st.button(label, type="primary", icon=":material/login:", key="sign_in",
              on_click=st.login, args=(provider,) if provider else ())
    st.stop()


def viewer() -> Viewer:
    """Who is looking at the page; the reads show them only the assets they may see.

    With ``[auth]`` configured: a signed-out visitor sees only a "Sign in with Microsoft"
    button (the run stops); a signed-in person is looked up by e-mail (the first person
    ever becomes Administrator, everybody else starts Read-only). Without ``[auth]``: the
    local Administrator.
    """
    if not auth_configured():
        return LOCAL_ADMINISTRATOR
    if not st.user.get("is_logged_in", False):
        _sign_in_screen()
    email = str(st.user.get("email") or "").strip()
    if not email:
        st.error("Your sign-in did not say who you are (no e-mail address). Sign out and try another account.")
        st.button("Sign out", on_click=st.logout, key="sign_out_no_email")
        st.stop()
    name = st.user.get("name")
    return _viewer_for(context().db, email, str(name) if name else None)


def show_viewer() -> None:
    """The sidebar's "who is viewing": name, e-mail and role, and Sign out when signed in.

    Called by app.py before the pages run: a signed-out visitor gets the sign-in screen.
    """
    try:
        who = viewer()
    except (ConfigError, StoreError):
        return  # the page shows the problem
    box = st.sidebar.container(key="viewer_box")
    if auth_configured():
        box.caption(f"Signed in as **{who.display_name}** ({who.email})  \nRole: **{who.role}**")
        box.button("Sign out", on_click=st.logout, key="sign_out", icon=":material/logout:")
    else:
        box.caption(f"Viewing as **{who.display_name}** (role: **{who.role}**): sign-in is not configured.")


def allowed(who: Viewer, permission: Permission) -> bool:
    """True when ``who`` may do ``permission`` (``o365lic.store.can``)."""
    return can(who, permission)


_PERMISSION_WORDS: dict[str, str] = {
    "sync": "start a sync",
    "manage_integrations": "connect, match or disconnect tenants or change their sync settings",
    "manage_users": "manage users and groups",
    "edit_assets": "edit notes or security settings",
}


def not_allowed(who: Viewer, permission: Permission) -> str:
    """Why a control is disabled: ``Your role (Read-only) cannot start a sync.``"""
    return f"Your role ({who.role}) cannot {_PERMISSION_WORDS.get(permission, permission)}."


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
