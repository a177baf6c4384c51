"""One way for every page to run an action and show its notice.

A callback calls :func:`act`: the viewer's role and groups are read from the database at that
moment (a Manager demoted while the page was open is refused), the action runs, the cached
reads are cleared, and its outcome (a success line, or an error and nothing changed) is kept
for the rerun, where :func:`show_notice` shows it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

import streamlit as st

from o365lic.graph import GraphError
from o365lic.permissions import Permission, can
from o365lic.store import StoreError, Viewer
from o365lic.ui.context import UNEXPECTED, store_message
from o365lic.ui.display import md
from o365lic.ui.reads import clear_caches
from o365lic.ui.signin import not_allowed

__all__ = ["ACTION_ERRORS", "NoticeKind", "act", "notify", "show_notice"]

_LOG = logging.getLogger(__name__)

NoticeKind = Literal["success", "warning", "error"]
#: The errors an action raises with a message for the user (IntegrationError and SecurityError
#: are ValueErrors; GraphError is Microsoft saying no).
ACTION_ERRORS = (ValueError, LookupError, GraphError)


def notify(key: str, kind: NoticeKind, message: str) -> None:
    """Leave a notice for the next run to show under ``key``."""
    st.session_state[key] = (kind, message)


def show_notice(key: str) -> None:
    """Show (once) the notice an action left under ``key``."""
    notice = st.session_state.pop(key, None)
    if notice:
        {"success": st.success, "warning": st.warning}.get(notice[0], st.error)(notice[1])


def _acting_viewer() -> Viewer:
    from o365lic import ui  # the package, so a test's stand-in viewer is honoured

    return ui.current_viewer()


def act(key: str, permission: Permission | None, action: Callable[[Viewer], str],
        failure: str = "{Exc}. Nothing was changed.") -> bool:
    """Run ``action(viewer)`` if the viewer may (now) do ``permission``; its message or its error
    is left under ``key`` (``failure`` words it: ``{exc}`` is the error as it is, ``{Exc}`` the
    error starting with a capital letter). True when it ran without error."""
    try:
        who = _acting_viewer()
        if permission is not None and not can(who, permission):
            notify(key, "error", f"{not_allowed(who, permission)} Nothing was changed.")
            return False
        message = action(who)
    except ACTION_ERRORS as exc:
        text = str(exc).rstrip(".")
        # "{Exc}": the error as the start of a sentence, with a capital letter
        notify(key, "error", failure.format(exc=md(text), Exc=md(text[:1].upper() + text[1:])))  # may quote a name
        return False
    except StoreError as exc:
        notify(key, "error", md(store_message(exc)))
        return False
    except Exception:  # noqa: BLE001 - no traceback reaches a person
        _LOG.exception("action failed")
        notify(key, "error", UNEXPECTED)
        return False
    finally:
        clear_caches()
    notify(key, "success", message)
    return True
