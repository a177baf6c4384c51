"""Streamlit glue for the pages, in rooms of one job.

- :mod:`~o365lic.ui.context`: settings and store (demo start-up once) and :func:`run_page`;
- :mod:`~o365lic.ui.reads`: cached reads, each registered so :func:`clear_caches` clears all;
- :mod:`~o365lic.ui.signin`: who is viewing and what their role allows;
- :mod:`~o365lic.ui.display`: numbers, names as text (:func:`md`), table settings, guarded downloads;
- :mod:`~o365lic.ui.actions` and :mod:`~o365lic.ui.changes`: one way to run an action (role
  re-checked from the database at that moment) and every store change the pages make;
- ``settings_*``: one module per tab of the Settings page.

Pages import this package as ``ui`` and never open DuckDB.
"""

from __future__ import annotations

from o365lic.reports import LicenseFilter
from o365lic.store import Viewer
from o365lic.ui.actions import act, notify, show_notice
from o365lic.ui.context import AppContext, context, is_demo_mode, run_page
from o365lic.ui.display import (
    CSV_FILE_NAME,
    CSV_MIME,
    SYNC_LOG_FILE_NAME,
    download_table,
    file_name,
    format_count,
    format_percent,
    licenses_column_config,
    licenses_table,
    md,
    plural,
    sync_log_csv,
)
from o365lic.ui.reads import (
    all_organizations,
    app_users,
    audit_log,
    clear_caches,
    csv_bytes,
    groups,
    integrations,
    license_assets,
    license_contacts,
    licenses,
    organization_contacts,
    organization_names,
    organization_summary,
    sync_log,
    tenant_matches,
    totals,
)
from o365lic.ui.signin import (
    allowed,
    auth_configured,
    not_allowed,
    show_viewer,
    signed_in_viewer,
)

__all__ = [
    "CSV_FILE_NAME",
    "CSV_MIME",
    "SYNC_LOG_FILE_NAME",
    "AppContext",
    "LicenseFilter",
    "act",
    "all_organizations",
    "allowed",
    "app_users",
    "audit_log",
    "auth_configured",
    "clear_caches",
    "context",
    "csv_bytes",
    "current_viewer",
    "download_table",
    "file_name",
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
    "md",
    "not_allowed",
    "notify",
    "organization_contacts",
    "organization_names",
    "organization_summary",
    "plural",
    "run_page",
    "show_notice",
    "show_viewer",
    "sidebar",
    "signed_in_viewer",
    "sync_log",
    "sync_log_csv",
    "tenant_matches",
    "totals",
    "viewer",
]


def viewer() -> Viewer:
    """Who is looking at the page (signed out: the sign-in screen, and the run stops)."""
    return signed_in_viewer()


def current_viewer() -> Viewer:
    """Who is acting, with role and groups as the database says at this moment (for callbacks:
    never the viewer the page was drawn for)."""
    return viewer()


#: Room for the numbers on a 1024 px laptop: a narrower sidebar, less padding beside the page,
#: and headline cards whose figures fit five to a row (the browser test checks nothing is cut off).
_LAYOUT_CSS = """<style>
section[data-testid="stSidebar"] { width: 230px !important; min-width: 230px !important; }
div[data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; }
div[data-testid="stMetricValue"] > div { font-size: 1.8rem; }
[data-testid="stMetricLabel"] p { font-size: 0.8rem !important; }
</style>"""


def sidebar() -> None:
    """The sidebar of every page: demo mode, and who is viewing (a signed-out visitor gets the
    sign-in screen and the run stops). A problem reading the viewer is left for the page to show."""
    import streamlit as st
    from streamlit.runtime.scriptrunner import RerunException, StopException

    st.html(_LAYOUT_CSS)
    if is_demo_mode():
        st.sidebar.info(  # compact: a laptop's sidebar is narrow
            "Demo mode: fictitious tenants from the built-in simulator.",
            icon=":material/science:")
    try:
        who = viewer()
    except (RerunException, StopException):
        raise
    except Exception:  # noqa: BLE001 - the page's run_page says what is wrong
        return
    show_viewer(who)
