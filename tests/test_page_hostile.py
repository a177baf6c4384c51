"""Hostile and careless input on the pages (issue 7): names as text, formula-guarded downloads,
no traceback, roles re-checked at the moment of an action, restricted data that stays hidden."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from page_helpers import (  # noqa: F401
    REPO,
    app_db,
    as_viewer,
    edit_tenants,
    open_page,
    plain,
    record_downloads,
    runtime,
    section,
    signed_in_app,
    synced,
)
from streamlit.testing.v1 import AppTest

from o365lic import export, reports
from o365lic.store import (
    ALL_USERS_LABEL,
    Store,
    StoreError,
    Viewer,
    add_app_user,
    add_group,
    add_integration,
    disconnect_tenant,
    get_integration,
    list_integrations,
    set_asset_security,
    set_group_members,
    viewer_for,
)
from o365lic.store.audit import audit_log
from o365lic.ui.context import UNEXPECTED

HOSTILE = "![p](http://x/p.png) **bold** <b>x</b>"
FORMULA = "=cmd|' /C calc'!A0"


# --------------------------------------------------------------------------- helpers


def _markdown_sources(at: AppTest) -> list[str]:
    """Every text the browser renders as Markdown: bodies of markdown, captions, alerts and
    headings, and the labels of widgets and expanders."""
    sources: list[str] = []
    for node in at._tree:
        for attribute in ("value", "label"):
            if node.type in ("markdown", "caption", "alert", "error", "info", "success", "warning", "title",
                             "subheader", "header") or attribute == "label":
                try:
                    value = getattr(node, attribute, None)
                except Exception:  # noqa: BLE001 - some elements have no such field
                    value = None
                if isinstance(value, str):
                    sources.append(value)
    for expander in at.expander:
        sources.append(expander.label)
    return sources


def _syntax(source: str) -> str:
    """The source with its backslash-escaped characters removed: what Markdown would read as syntax."""
    return re.sub(r"\\.", "", source)


def _assert_shown_as_text(at: AppTest, name: str) -> None:
    sources = _markdown_sources(at)
    assert any(name in plain(s) for s in sources), "the name is shown somewhere"
    for source in sources:
        syntax = _syntax(source)
        assert "![" not in syntax and "](" not in syntax, source  # no image, no link
        assert "**bold**" not in syntax, source  # no emphasis from the name
        assert "<b>" not in syntax, source  # no HTML


def _csv_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The CSV texts behind the pages' table downloads, as they are made."""
    made: list[str] = []
    original = export.table_csv

    def spy(frame, columns):
        made.append(original(frame, columns))
        return made[-1]

    monkeypatch.setattr(export, "table_csv", spy)
    return made


def _rename_organization(store: Store, old: str, new: str) -> None:
    with store.transaction() as con:
        con.execute("UPDATE organizations SET name = ? WHERE name = ?", [new, old])


# --------------------------------------------------------------------------- Markdown injection


def test_markdown_in_an_organization_name_is_shown_as_text(app_db: Path) -> None:
    store = synced(app_db)
    add_integration(store, "00000000-0000-0000-0000-0000000000ab", HOSTILE)  # no licenses yet
    at = open_page("pages/organization.py")
    at.selectbox(key="organization_name").select(HOSTILE).run()
    assert not at.exception
    assert any(f"No licenses have been synced for {HOSTILE} yet" in plain(i.value) for i in at.info)
    _assert_shown_as_text(at, HOSTILE)
    # the disconnect confirmation names it too
    at.switch_page("pages/settings.py")
    at.run()
    section(at, "Disconnect")
    at.selectbox(key="disconnect_tenant").select("00000000-0000-0000-0000-0000000000ab")
    at.radio(key="disconnect_mode").set_value(at.radio(key="disconnect_mode").options[0]).run()
    at.button(key="confirm_disconnect").click().run()
    assert not at.exception
    assert plain(at.error[0].value) == f"Type “{HOSTILE}” to confirm. Nothing was disconnected."
    _assert_shown_as_text(at, HOSTILE)


def test_markdown_in_a_license_name_is_shown_as_text(app_db: Path) -> None:
    store = synced(app_db)
    first = reports.licenses(store).iloc[0]
    with store.transaction() as con:
        con.execute("UPDATE flexible_assets SET license_name = ? WHERE id = ?", [HOSTILE, int(first.asset_id)])
    at = open_page("pages/organization.py")
    at.selectbox(key="organization_name").select(str(first.organization)).run()
    assert not at.exception
    _assert_shown_as_text(at, HOSTILE)
    labels = [plain(e.label) for e in at.expander]
    assert any(label.startswith(HOSTILE) for label in labels)


def test_markdown_in_names_on_the_settings_page_is_shown_as_text(app_db: Path) -> None:
    _, store = runtime(app_db)
    tenant = list_integrations(store)[0].tenant_id
    _rename_organization(store, str(get_integration(store, tenant).organization), HOSTILE)
    at = section(open_page("pages/settings.py"), "Sync settings")
    edit_tenants(at, {tenant: {"interval_minutes": 30}})
    at.button(key="save_tenant_settings").click().run()
    assert not at.exception
    assert at.success and HOSTILE in plain(at.success[0].value)
    _assert_shown_as_text(at, HOSTILE)


def test_markdown_in_a_signed_in_name_is_shown_as_text(app_db: Path) -> None:
    runtime(app_db)
    at = signed_in_app("mallory@msp.example", HOSTILE)
    _assert_shown_as_text(at, HOSTILE)


# --------------------------------------------------------------------------- formula injection


def test_the_table_toolbar_cannot_export_and_errors_show_no_details() -> None:
    import streamlit.config as streamlit_config

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
    assert config["client"]["showErrorDetails"] == "none"
    accepted = {str(o) for o in streamlit_config.ShowErrorDetailsConfigOptions}
    assert config["client"]["showErrorDetails"] in accepted  # a value Streamlit understands


def _assert_guarded(texts: list[str]) -> None:
    assert texts
    for text in texts:
        for line in text.splitlines()[1:]:
            assert not any(cell.startswith(("=", "+", "@")) for cell in line.split(",")), line


def test_every_table_download_guards_a_formula_name(app_db: Path, monkeypatch) -> None:
    store = synced(app_db)
    organization = str(reports.licenses(store).iloc[0].organization)
    _rename_organization(store, organization, FORMULA)
    with store.transaction() as con:
        con.execute("UPDATE contacts SET display_name = ? WHERE id = (SELECT min(contact_id) FROM flexible_asset_tags)",
                    [FORMULA])
    made = _csv_spy(monkeypatch)
    files = record_downloads(monkeypatch)  # label -> the download's data, as the button got it
    at = open_page("pages/sync.py")  # Active Integrations and the sync log
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Active Integrations (CSV)", "Active Integrations (Excel)", "Sync log (CSV)", "Sync log (Excel)"]
    files["Active Integrations (CSV)"]()  # type: ignore[operator]  # built when clicked
    assert any(f"'{FORMULA}" in text for text in made)
    at.switch_page("pages/organization.py")
    at.run()
    at.selectbox(key="organization_name").select(FORMULA).run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[0] == "Download CSV" and labels.count("Download users") >= 2  # per license, and all users
    assert any(f"'{FORMULA}" in text for text in made)  # a user named like a formula
    at.switch_page("pages/settings.py")
    at.run()
    section(at, "Audit log")
    _assert_guarded(made)


def test_table_csv_guards_text_and_writes_times_in_utc() -> None:
    import pandas as pd

    frame = pd.DataFrame({"name": [FORMULA, "+1", "plain", None], "when": pd.to_datetime(
        ["2026-11-26 06:30:00+00:00"] * 4), "count": [1, 2, 3, 4]})
    text = export.table_csv(frame, {"Name": "name", "When": "when", "Count": "count"})
    assert text.splitlines() == ["Name,When,Count", f"'{FORMULA},2026-11-26T06:30:00Z,1",
                                 "'+1,2026-11-26T06:30:00Z,2", "plain,2026-11-26T06:30:00Z,3",
                                 ",2026-11-26T06:30:00Z,4"]


# --------------------------------------------------------------------------- no traceback


def test_an_unforeseen_error_is_one_clear_message(app_db: Path, monkeypatch) -> None:
    synced(app_db)

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail that must not reach the page")

    monkeypatch.setattr(reports, "totals", broken)
    at = open_page()
    assert not at.exception
    assert [e.value for e in at.error] == [UNEXPECTED]
    assert "internal detail" not in " ".join(str(m.value) for m in at.markdown)


def test_a_store_error_is_a_clear_message(app_db: Path, monkeypatch) -> None:
    synced(app_db)

    def broken(*args, **kwargs):
        raise StoreError("cannot open the database: not a DuckDB file")

    monkeypatch.setattr(reports, "licenses", broken)
    for page in ("pages/organization.py", "pages/global.py"):
        at = open_page()
        at.switch_page(page)
        at.run()
        assert not at.exception
        assert len(at.error) == 1
        assert "The database cannot be used (cannot open the database: not a DuckDB file)" in at.error[0].value
        assert "O365LIC_DB" in at.error[0].value


def test_a_truncated_database_file_is_a_clear_message_on_every_page(app_db: Path) -> None:
    app_db.write_bytes(b"DUCK" + b"\0" * 100)  # not a database: what a truncated copy looks like
    for page in ("pages/global.py", "pages/organization.py", "pages/sync.py", "pages/settings.py"):
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
        at.run()
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        assert len(at.error) == 1, page
        assert "cannot" in at.error[0].value and str(app_db) in at.error[0].value


# --------------------------------------------------------------------------- roles re-checked


def _manager_and_admin(store: Store) -> None:
    add_app_user(store, "admin@msp.example", "Admin", "Administrator")
    add_app_user(store, "manager@msp.example", "Manager", "Manager")


def test_a_manager_demoted_while_the_page_is_open_cannot_pause(app_db: Path) -> None:
    _, store = runtime(app_db)
    _manager_and_admin(store)
    tenant = list_integrations(store)[0].tenant_id
    at = section(signed_in_app("manager@msp.example", "Manager", "pages/settings.py"), "Sync settings")
    edit_tenants(at, {tenant: {"select": True}})
    assert not at.button(key="pause_selected").disabled  # the page was drawn for a Manager
    add_app_user(store, "manager@msp.example", None, "Read-only")  # demoted meanwhile
    at.button(key="pause_selected").click().run()
    assert not at.exception and not at.success
    assert [e.value for e in at.error] == [
        ("Your role (Read-only) cannot connect, match or disconnect tenants or change their sync settings. "
         "Nothing was changed.")]
    assert get_integration(store, tenant).paused is False
    # and the page, drawn again, shows the new role's controls
    assert at.button(key="pause_selected").disabled and at.button(key="save_tenant_settings").disabled


def test_a_demoted_manager_cannot_disconnect_or_sync(app_db: Path) -> None:
    _, store = runtime(app_db)
    _manager_and_admin(store)
    tenant = list_integrations(store)
    target = tenant[0]
    at = section(signed_in_app("manager@msp.example", "Manager", "pages/settings.py"), "Disconnect")
    at.selectbox(key="disconnect_tenant").select(target.tenant_id)
    at.radio(key="disconnect_mode").set_value(at.radio(key="disconnect_mode").options[1]).run()
    at.text_input(key="disconnect_confirm").input(target.tenant_id)
    add_app_user(store, "manager@msp.example", None, "Read-only")
    at.button(key="confirm_disconnect").click().run()
    assert not at.exception and "Nothing was changed" in at.error[0].value
    assert get_integration(store, target.tenant_id) is not None

    add_app_user(store, "manager@msp.example", None, "Manager")
    at = signed_in_app("manager@msp.example", "Manager", "pages/sync.py")
    add_app_user(store, "manager@msp.example", None, "Read-only")
    at.button(key="start_manual_sync").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Your role (Read-only) cannot start a sync. No sync was started."]
    assert not at.status
    assert store.scalar("SELECT count(*) FROM sync_runs") == 0


def test_an_editor_demoted_or_outside_the_groups_cannot_edit_an_asset(app_db: Path) -> None:
    store = synced(app_db)
    _manager_and_admin(store)
    editor = add_app_user(store, "editor@msp.example", "Editor", "Editor")
    group = add_group(store, "Finance")
    set_group_members(store, group, [editor])
    first = reports.licenses(store).iloc[0]
    asset_id = int(first.asset_id)
    set_asset_security(store, asset_id, restricted=True, group_ids=[group])
    at = signed_in_app("editor@msp.example", "Editor", "pages/organization.py")
    at.selectbox(key="organization_name").select(str(first.organization)).run()
    at.text_area(key=f"notes_{asset_id}").input("changed")
    set_group_members(store, group, [])  # taken out of the group meanwhile
    at.button(key=f"save_notes_{asset_id}").click().run()
    assert not at.exception
    assert any("restricted to groups you are not in" in e.value for e in at.error)
    assert reports.license_assets(store).set_index("asset_id").loc[asset_id, "notes"] is None

    assert f"notes_{asset_id}" not in [t.key for t in at.text_area]  # no longer shown to them at all

    set_group_members(store, group, [editor])  # back in the group: the page shows the asset again
    at.run()
    assert not at.button(key=f"save_security_{asset_id}").disabled
    at.radio(key=f"security_{asset_id}").set_value(ALL_USERS_LABEL)  # would lift the restriction
    add_app_user(store, "editor@msp.example", None, "Read-only")  # demoted meanwhile
    at.button(key=f"save_security_{asset_id}").click().run()
    assert not at.exception
    assert store.scalar("SELECT restricted FROM flexible_assets WHERE id = ?", [asset_id]) is True
    assert any("Your role (Read-only) cannot edit notes or security settings" in e.value for e in at.error)


# --------------------------------------------------------------------------- restricted data


@pytest.fixture
def hidden(app_db: Path):
    """A synced demo database where every asset of one organization is restricted to "Finance",
    an outsider, and an organization with no assets at all."""
    store = synced(app_db)
    viewer_for(store, "admin@msp.example", "Admin")  # the first person: Administrator
    outsider = viewer_for(store, "outsider@msp.example", "Outsider")
    group = add_group(store, "Finance")
    organization = str(reports.licenses(store).iloc[0].organization)
    assets = store.rows("SELECT a.id FROM flexible_assets a JOIN organizations o ON o.id = a.organization_id "
                        "WHERE o.name = ?", [organization])
    for (asset_id,) in assets:
        set_asset_security(store, int(asset_id), restricted=True, group_ids=[group])
    add_integration(store, "00000000-0000-0000-0000-0000000000ac", "Empty Organization")
    return store, organization, outsider


def test_an_organization_whose_every_asset_is_restricted_is_hidden(hidden, monkeypatch) -> None:
    store, organization, outsider = hidden
    assert organization not in reports.organization_names(store, outsider)
    assert "Empty Organization" in reports.organization_names(store, outsider)
    assert organization in reports.organization_names(store)
    as_viewer(monkeypatch, outsider)
    at = open_page()
    assert organization not in at.multiselect(key="global_organizations").options
    at.switch_page("pages/organization.py")
    at.run()
    options = at.selectbox(key="organization_name").options
    assert organization not in options and "Empty Organization" in options
    at.switch_page("pages/sync.py")
    at.run()
    assert organization not in set(at.dataframe[0].value["organization"])
    log = at.dataframe[1].value
    assert len(log) > 0 and organization not in set(log["organization"])
    assert organization not in at.selectbox(key="sync_log_organization").options
    everything = reports.sync_log(store)
    assert len(log) == len(everything) - int((everything["organization"] == organization).sum())


def test_license_contacts_of_a_restricted_asset_stay_hidden(hidden) -> None:
    store, organization, outsider = hidden
    asset_id = int(reports.licenses(store, organizations=[organization]).iloc[0].asset_id)
    assert len(reports.license_contacts(store, asset_id)) > 0
    assert reports.license_contacts(store, asset_id, outsider).empty
    assert reports.organization_contacts(store, organization, outsider).empty


# --------------------------------------------------------------------------- data that stays where it belongs


def test_an_organization_without_licenses_stays_reachable_with_its_contacts(app_db: Path) -> None:
    store = synced(app_db)
    woodgrove = next(i for i in list_integrations(store) if i.organization == "Woodgrove Bank")
    contacts = store.scalar("SELECT count(*) FROM contacts c JOIN organizations o ON o.id = c.organization_id "
                            "WHERE o.name = 'Woodgrove Bank'")
    assert contacts > 0
    disconnect_tenant(store, woodgrove.tenant_id, "delete-data")
    at = open_page("pages/organization.py")
    assert "Woodgrove Bank" in at.selectbox(key="organization_name").options
    at.selectbox(key="organization_name").select("Woodgrove Bank").run()
    assert not at.exception
    assert any("No licenses have been synced for Woodgrove Bank" in i.value for i in at.info)
    users = at.dataframe[0].value
    assert len(users) == contacts and set(users["licenses"]) == {""}


# --------------------------------------------------------------------------- audit log


def test_the_audit_log_records_security_roles_and_groups(app_db: Path, monkeypatch) -> None:
    store = synced(app_db)
    at = section(open_page("pages/settings.py"), "Users & groups")
    at.text_input(key="new_user_email").input("ann@msp.example")
    at.selectbox(key="new_user_role").select("Editor")
    at.button[[b.label for b in at.button].index("Save user")].click().run()
    at.text_input(key="new_group_name").input(FORMULA)
    at.button[[b.label for b in at.button].index("Create group")].click().run()
    assert not at.exception and not at.error
    group = store.scalar("SELECT id FROM app_groups")
    asset_id = int(reports.licenses(store).iloc[0].asset_id)
    at.switch_page("pages/organization.py")
    at.run()
    at.selectbox(key="organization_name").select(str(reports.licenses(store).iloc[0].organization)).run()
    at.radio(key=f"security_{asset_id}").set_value("Restricted to chosen groups").run()
    at.multiselect(key=f"security_groups_{asset_id}").select(group)
    at.button(key=f"save_security_{asset_id}").click().run()
    assert not at.exception and not at.error
    log = audit_log(store).head(3)  # newest first; the sync's set-up recorded its connects before
    assert list(log["Action"]) == ["security settings", "group", "role"]
    assert list(log["Who"]) == ["local"] * 3
    assert list(log["Target"])[1:] == [FORMULA, "ann@msp.example"]

    made = _csv_spy(monkeypatch)
    at.switch_page("pages/settings.py")
    at.run()
    section(at, "Audit log")
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["When", "Who", "Action", "Target", "Detail"]
    assert len(shown) == len(audit_log(store)) and list(shown["Action"])[:3] == list(log["Action"])
    assert [b.proto.label for b in at.get("download_button")] == ["Download audit log"]
    assert made[-1].splitlines()[0] == "When,Who,Action,Target,Detail"
    assert f"'{FORMULA}" in made[-1]
    _assert_guarded(made)


def test_the_audit_log_is_for_administrators_only(app_db: Path, monkeypatch) -> None:
    runtime(app_db)
    as_viewer(monkeypatch, Viewer(email="m@msp.example", display_name="M", role="Manager"))
    at = open_page("pages/settings.py")
    assert "Audit log" not in at.segmented_control(key="settings_section").options
