"""Who is viewing: sign-in with Streamlit's OIDC when ``[auth]`` is configured, else the local
Administrator; what their role lets them do, in words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from o365lic.config import SECRETS_FILE, ConfigError
from o365lic.permissions import Permission, can
from o365lic.store import LOCAL_ADMINISTRATOR, Viewer
from o365lic.ui.display import md
from o365lic.ui.reads import viewer_from_db

__all__ = ["allowed", "auth_configured", "not_allowed", "show_viewer", "signed_in_viewer"]


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
    label = ("Sign in with Microsoft" if provider is None or provider == "microsoft"
             else f"Sign in with {provider.replace('_', ' ').title()}")
    st.title("o365lic")
    st.write("Microsoft 365 licenses of your customers. Sign in to continue.")
    st.button(label, type="primary", icon=":material/login:", key="sign_in",
              on_click=st.login, args=(provider,) if provider else ())
    st.stop()


def signed_in_viewer() -> Viewer:
    """Who is looking at the page; the reads show them only the assets they may see.

    With ``[auth]`` configured: a signed-out visitor sees only a "Sign in with Microsoft"
    button (the run stops); a signed-in person is looked up by e-mail (the first person
    ever becomes Administrator, everybody else starts Read-only). Without ``[auth]``: the
    local Administrator. Role and groups are read from the database on every call.
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
    return viewer_from_db(email, str(name) if name else None)


def show_viewer(who: Viewer) -> None:
    """The sidebar's "who is viewing": name, e-mail and role, and Sign out when signed in."""
    box = st.sidebar.container(key="viewer_box")
    if auth_configured():
        box.caption(f"Signed in as **{md(who.display_name)}** ({md(who.email)})  \nRole: **{who.role}**")
        box.button("Sign out", on_click=st.logout, key="sign_out", icon=":material/logout:")
    else:
        box.caption(f"Viewing as **{md(who.display_name)}** (role: **{who.role}**): sign-in is not configured.")


def allowed(who: Viewer, permission: Permission) -> bool:
    """True when ``who`` may do ``permission`` (``o365lic.permissions.can``)."""
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


