"""Helpers for the page tests (streamlit.testing.v1.AppTest) in demo mode on a fresh database."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from o365lic import demo, ui
from o365lic.config import Settings, load_settings
from o365lic.store import Store, Viewer, ensure_organization
from o365lic.sync import sync_tenants

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"

__all__ = [
    "APP",
    "AUTH",
    "REPO",
    "TABLES",
    "app_db",
    "as_viewer",
    "edit_tenants",
    "metric_values",
    "open_page",
    "parse_count",
    "plain",
    "record_downloads",
    "row_counts",
    "runtime",
    "section",
    "select_rows",
    "signed_in_app",
    "synced",
    "tenants_table",
    "undiscovered",
]

#: The tables of SPEC section 8 whose rows the disconnect tests count.
TABLES = ("organizations", "contacts", "integrations", "flexible_asset_types", "flexible_asset_fields",
          "flexible_assets", "flexible_asset_tags", "subscriptions", "sync_runs", "license_snapshots")


def _clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


#: Where :func:`synced` keeps this process's synced demo database (set by :func:`app_db` from
#: the session fixture ``synced_template_dir`` of conftest.py).
_template_dir: Path | None = None


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synced_template_dir: Path) -> Iterator[Path]:
    """Demo mode on a fresh database file; Streamlit's process-wide caches cleared around the test."""
    global _template_dir
    _template_dir = synced_template_dir
    db = tmp_path / "o365lic.duckdb"
    monkeypatch.setenv("O365LIC_DB", str(db))
    for name in ("O365LIC_CLIENT_ID", "O365LIC_CLIENT_SECRET", "O365LIC_CLIENT_CERT",
                 "O365LIC_CLIENT_CERT_THUMBPRINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(REPO)
    _clear_streamlit_caches()
    yield db
    _clear_streamlit_caches()


def runtime(db: Path) -> tuple[Settings, Store]:
    """The demo settings and a store of ``db`` with the demo tenants connected."""
    settings = demo.runtime_settings(load_settings())
    assert settings.db_path == db
    store = Store(db)
    demo.ensure_demo_tenants(store)
    return settings, store


def synced(db: Path) -> Store:
    """``db`` with the demo tenants connected and synced once (through the library).

    The demo sync runs once per test process, into a database of its own in the session's
    temporary folder (``synced_template_dir``); a ``db`` not created yet gets a copy of that file
    (the same rows a sync of its own would land, in ~50 ms instead of seconds). A ``db`` already
    in use is synced in place.
    """
    settings = demo.runtime_settings(load_settings())
    assert settings.db_path == db
    if db.exists():
        settings, store = runtime(db)
        results = sync_tenants(store, settings, trigger="test")
        assert results and all(r.outcome == "ok" for r in results), [r.line() for r in results]
        return store
    assert _template_dir is not None, "synced() needs the app_db fixture"
    template = _template_dir / "synced.duckdb"
    if not template.exists():
        building = _template_dir / "building.duckdb"
        template_store = Store(building)
        demo.ensure_demo_tenants(template_store)
        results = sync_tenants(template_store, dataclasses.replace(settings, db_path=building), trigger="test")
        assert results and all(r.outcome == "ok" for r in results), [r.line() for r in results]
        assert not building.with_name(building.name + ".wal").exists(), "the sync left its file checkpointed"
        building.rename(template)
    shutil.copyfile(template, db)
    return Store(db)


def open_page(page: str | None = None) -> AppTest:
    """The app run once, then switched to ``page`` (e.g. ``pages/sync.py``); no exception."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


def parse_count(text: str) -> int:
    """``"12,345"`` -> 12345."""
    return int(text.replace(",", ""))


def metric_values(at: AppTest) -> dict[str, str]:
    """The metrics on screen by label."""
    return {m.label: m.value for m in at.metric}


def undiscovered(db: Path, organizations: tuple[str, ...] = ()) -> Store:
    """``db`` with the demo marked as seeded but no tenant connected (so discovery finds all six
    demo tenants new), and these organizations."""
    store = Store(db)
    with store.transaction() as con:
        con.execute("INSERT INTO app_state (key, value) VALUES ('demo_seeded', 'yes')")
        for name in organizations:
            ensure_organization(con, name)
    return store


def row_counts(store: Store) -> dict[str, int]:
    """Rows per table of the flexible-asset model."""
    return {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in TABLES}


def as_viewer(monkeypatch: pytest.MonkeyPatch, who: Viewer) -> None:
    """The pages see ``who`` as the viewer (AppTest runs the app in this process)."""
    monkeypatch.setattr(ui, "viewer", lambda: who)


def select_rows(at: AppTest, key_prefix: str, rows: list[int]) -> str:
    """Select rows of the ``st.dataframe(on_select=...)`` whose key starts with ``key_prefix``
    (as a click on their boxes would); returns the table's key. Run the app afterwards."""
    keys = [d.key for d in at.dataframe if d.key and d.key.startswith(key_prefix)]
    assert len(keys) == 1, keys
    at.session_state[keys[0]] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return keys[0]


def plain(markdown: str) -> str:
    """Markdown source as the text a reader sees, for text the pages escape (``\\(`` -> ``(``)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def section(at: AppTest, name: str) -> AppTest:
    """Show one section of the Settings page (only the section in view is built)."""
    at.segmented_control(key="settings_section").set_value(name).run()
    assert not at.exception, at.exception
    return at


def tenants_table(at: AppTest) -> tuple[str, pd.DataFrame]:
    """The key and the rows of the Settings page's tenants table (``st.data_editor``)."""
    editors = [d for d in at.dataframe if d.key and d.key.startswith("tenant_settings_")]
    assert len(editors) == 1, [d.key for d in at.dataframe]
    return str(editors[0].key), editors[0].value


def edit_tenants(at: AppTest, edits: dict[str, dict[str, object]]) -> AppTest:
    """Edit cells of the tenants table as a person would (tenant id -> {column: value}), then run."""
    key, frame = tenants_table(at)
    rows = {int(frame.index[frame["tenant_id"] == tenant][0]): dict(change) for tenant, change in edits.items()}
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    return at


#: An ``[auth]`` section with a Microsoft provider (AppTest stands in for the browser).
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "microsoft": {
        "client_id": "00000000-0000-0000-0000-000000000000",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
    },
}


def signed_in_app(email: str, name: str, page: str | None = None) -> AppTest:
    """The app with sign-in configured and ``email`` signed in, run once (then on ``page``)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "name": name}
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


def record_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Label -> data of every download button the page draws, as the button got it (a file
    built when clicked arrives as the callable that builds it)."""
    from streamlit.delta_generator import DeltaGenerator

    files: dict[str, object] = {}
    button = DeltaGenerator.download_button

    def record(self, label, data, *args, **kwargs):
        files[label] = data
        return button(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    return files
