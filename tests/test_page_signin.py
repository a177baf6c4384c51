"""Sign-in with Streamlit's OIDC ([auth] in secrets.toml): who is viewing, their role, what they may do.

AppTest stands in for the browser: ``at.secrets`` holds an ``[auth]`` section with a Microsoft
provider and ``at.user`` is the identity the provider returned.
"""

from __future__ import annotations

from pathlib import Path

from page_helpers import APP, app_db, runtime  # noqa: F401
from streamlit.testing.v1 import AppTest

from o365lic.store import list_app_users

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "microsoft": {
        "client_id": "00000000-0000-0000-0000-000000000000",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
    },
}


def _app(user: dict) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    return at


def test_signed_out_visitor_sees_only_the_sign_in_button(app_db: Path) -> None:
    at = _app({"is_logged_in": False})
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with Microsoft"]
    assert not at.metric and not at.dataframe and not at.get("download_button")
    assert "Office 365 Licenses" not in [t.value for t in at.title]


def test_first_person_is_administrator_then_read_only(app_db: Path) -> None:
    _, store = runtime(app_db)
    at = _app({"is_logged_in": True, "email": "Alice@MSP.example", "name": "Alice"})
    at.run()
    assert not at.exception
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "Signed in as **Alice** (alice@msp.example)" in sidebar and "Role: **Administrator**" in sidebar
    assert at.sidebar.button(key="sign_out").label == "Sign out"
    at.switch_page("pages/sync.py")
    at.run()
    assert not at.button(key="start_manual_sync").disabled

    bob = _app({"is_logged_in": True, "email": "bob@msp.example", "name": "Bob"})
    bob.run()
    assert "Role: **Read-only**" in " ".join(c.value for c in bob.sidebar.caption)
    bob.switch_page("pages/sync.py")
    bob.run()
    assert not bob.exception
    assert bob.button(key="start_manual_sync").disabled
    assert "Your role (Read-only) cannot start a sync." in [c.value for c in bob.caption]
    assert [(u[1], u[3]) for u in list_app_users(store)] == [("alice@msp.example", "Administrator"),
                                                             ("bob@msp.example", "Read-only")]


def test_without_auth_the_viewer_is_the_local_administrator(app_db: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert "Viewing as **Local administrator** (role: **Administrator**)" in " ".join(
        c.value for c in at.sidebar.caption)
    assert not [b for b in at.sidebar.button if b.key == "sign_out"]


def test_every_page_asks_a_signed_out_visitor_to_sign_in(app_db: Path) -> None:
    """Each page checks the viewer itself, not only app.py: Streamlit runs a page script on its
    own when its URL (e.g. /settings) is opened directly, because the folder is named pages/."""
    runtime(app_db)
    for page in ("pages/global.py", "pages/organization.py", "pages/sync.py", "pages/settings.py"):
        at = AppTest.from_file(str(APP.parent / page), default_timeout=60)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": False}
        at.run()
        assert not at.exception, page
        assert [b.label for b in at.button] == ["Sign in with Microsoft"], page
        assert not at.dataframe and not at.metric and not at.text_input, page


def test_an_unreadable_secrets_file_fails_closed(tmp_path: Path, monkeypatch) -> None:
    """No secrets file: no sign-in. A secrets file Streamlit cannot read: an error, never the
    local Administrator (it may be the file that holds [auth])."""
    import pytest
    import streamlit as st

    from o365lic import ui
    from o365lic.config import ConfigError
    from o365lic.ui import signin

    class Unreadable:
        def __contains__(self, key: object) -> bool:
            raise FileNotFoundError("No secrets found")

    monkeypatch.setattr(st, "secrets", Unreadable())
    monkeypatch.setattr(signin, "SECRETS_FILE", tmp_path / "secrets.toml")
    assert ui.auth_configured() is False
    (tmp_path / "secrets.toml").write_text("[auth\nbroken", encoding="utf-8")
    with pytest.raises(ConfigError, match="could not be read"):
        ui.auth_configured()
