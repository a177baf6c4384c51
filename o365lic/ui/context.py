"""The app's settings and store for the pages (demo start-up once), and the page wrapper.

Pages never open DuckDB: the :class:`~o365lic.store.Store` object is cached, not a connection
(it opens and closes one per operation, so a sync run by cron in another process can use the
file between page reads). :func:`run_page` turns every failure into one clear message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

from o365lic import demo
from o365lic.config import ConfigError, Settings, load_settings
from o365lic.store import Store, StoreBusyError, StoreError

__all__ = ["UNEXPECTED", "AppContext", "context", "is_demo_mode", "run_page", "store_message", "store_of"]

_LOG = logging.getLogger(__name__)

#: What a person sees when something nobody foresaw goes wrong (the details go to the server log).
UNEXPECTED = ("Something went wrong while drawing this page. Nothing was changed. Reload the page; "
              "if it happens again, the server log has the details.")


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
def store_of(db: str) -> Store:
    """The (cached) store of a database path."""
    return Store(db)


@st.cache_resource(show_spinner="Starting ...")
def _context(key: str, _base: Settings) -> AppContext:
    """Resolve demo mode once per settings: start the simulator, connect the demo tenants."""
    runtime = demo.runtime_settings(_base)
    store = store_of(str(runtime.db_path))
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


def store_message(exc: Exception) -> str:
    """A database problem in words an admin can act on."""
    if isinstance(exc, StoreBusyError):
        return str(exc)
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return (f"The database cannot be used ({text}). Nothing was changed. Check the file that O365LIC_DB "
            "names; restore it from a backup if it is damaged.")


def run_page(render: Callable[[], None]) -> None:
    """Run a page body: settings, database and unforeseen problems become one message, never a stack."""
    try:
        render()
    except (RerunException, StopException):
        raise  # Streamlit's own control flow (st.rerun, st.stop)
    except ConfigError as exc:
        st.error(f"The settings cannot be used: {exc}")
    except (StoreError, duckdb.IOException) as exc:  # includes StoreBusyError (a CLI sync holding the file)
        st.error(store_message(exc))
    except Exception:  # noqa: BLE001 - the last line of defence: no traceback reaches a person
        _LOG.exception("page failed")
        st.error(UNEXPECTED)
