"""The Organization page: one organization's licenses, chart, tagged contacts, empty state; per
license asset its locked synced fields, notes and security settings, and what an outsider sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from page_helpers import app_db, as_viewer, metric_values, open_page, parse_count, plain, synced  # noqa: F401

from o365lic import export, reports
from o365lic.store import (
    ALL_USERS_LABEL,
    LockedError,
    Viewer,
    add_app_user,
    add_group,
    add_integration,
    asset_groups,
    set_asset_security,
    set_group_members,
    update_asset,
    viewer_for,
)
from o365lic.ui.reads import clear_caches

PAGE = "pages/organization.py"


def test_renders_on_a_fresh_database(app_db: Path) -> None:
    at = open_page(PAGE)
    select = at.selectbox(key="organization_name")
    assert select.label == "Organization"
    assert len(select.options) == 6  # the demo tenants' organizations, not synced yet
    assert any("No licenses have been synced" in info.value for info in at.main.info)


def test_selected_organization_lists_its_licenses(app_db: Path) -> None:
    store = synced(app_db)
    names = reports.organization_names(store)
    at = open_page(PAGE)
    assert at.selectbox(key="organization_name").options == names
    for name in (names[0], names[-1]):
        at.selectbox(key="organization_name").select(name).run()
        assert not at.exception
        expected = reports.licenses(store, organizations=[name])
        assert len(expected) > 0
        assert at.subheader[0].value == "Office 365 Licenses"
        table = at.dataframe[0].value
        columns = ["license_name", "sku_part_number", "status", "active", "consumed", "unused"]
        assert table[columns].reset_index(drop=True).equals(expected[columns].reset_index(drop=True))
        totals = reports.totals(store, organizations=[name])
        shown = metric_values(at)
        assert parse_count(shown["Active"]) == totals["active"]
        assert parse_count(shown["Consumed"]) == totals["consumed"]
        assert parse_count(shown["Unused"]) == totals["unused"]
        assert at.get("vega_lite_chart"), "the per-license chart is drawn"
        # the licenses, the users of each license that has some, and the organization's users
        downloads = [b.proto.label for b in at.get("download_button")]
        assert downloads[0] == "Download CSV" and downloads[1] == "Download Excel"
        assert downloads[-2:] == ["Download users", "Download users Excel"]
        # one expander of tagged contacts per license, with as many users as the store tags
        assert len(at.expander) == len(expected)
        for row, expander in zip(expected.itertuples(), at.expander):
            contacts = reports.license_contacts(store, int(row.asset_id))
            assert expander.label.endswith(f"{len(contacts):,} users tagged")
            if len(contacts):
                assert len(expander.dataframe) == 1


def test_free_skus_toggle(app_db: Path) -> None:
    store = synced(app_db)
    everything = reports.licenses(store, include_free=True)
    name = str(everything.loc[everything["is_free"], "organization"].iloc[0])
    at = open_page(PAGE)
    at.selectbox(key="organization_name").select(name).run()
    paid = len(at.dataframe[0].value)
    at.toggle(key="organization_include_free").set_value(True).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == len(reports.licenses(store, organizations=[name], include_free=True))
    assert len(at.dataframe[0].value) > paid


def test_organization_without_licenses_has_an_empty_state(app_db: Path) -> None:
    store = synced(app_db)
    add_integration(store, "00000000-0000-0000-0000-0000000000aa", "Zeta Without Licenses")
    at = open_page(PAGE)
    at.selectbox(key="organization_name").select("Zeta Without Licenses").run()
    assert not at.exception
    messages = [info.value for info in at.main.info]
    assert messages == ["No licenses have been synced for Zeta Without Licenses yet. "
                        "Sync its tenant on the **Sync** page."]
    assert not at.dataframe and not at.metric and not at.get("download_button")


# --------------------------------------------------------------------------- locked assets, notes, security


@pytest.fixture
def restricted(app_db: Path):
    """A synced demo database with one asset restricted to the group "Finance"; the viewers
    (an Administrator, a member of Finance, an outsider) and the restricted asset's row."""
    store = synced(app_db)
    admin = viewer_for(store, "admin@msp.example", "Admin")  # the first person: Administrator
    member_id = add_app_user(store, "member@msp.example", "Member", "Read-only")
    group = add_group(store, "Finance")
    set_group_members(store, group, [member_id])
    member = viewer_for(store, "member@msp.example")
    outsider = viewer_for(store, "outsider@msp.example", "Outsider")
    assert (admin.role, member.role, outsider.role) == ("Administrator", "Read-only", "Read-only")
    everything = reports.licenses(store)
    asset = everything.sort_values("active", ascending=False).iloc[0]
    set_asset_security(store, int(asset.asset_id), restricted=True, group_ids=[group])
    return store, asset, {"admin": admin, "member": member, "outsider": outsider}


def _csv_texts(monkeypatch) -> list[str]:
    """The CSV texts the page puts behind its Download CSV button, as they are made."""
    made: list[str] = []
    original = export.licenses_csv

    def spy(frame):
        text = original(frame)
        made.append(text)
        return text

    monkeypatch.setattr(export, "licenses_csv", spy)
    return made


def _downloads_by_key(monkeypatch) -> dict[str, object]:
    """Widget key -> the data of every download button the page draws (a file built when
    clicked arrives as the callable that builds it)."""
    from streamlit.delta_generator import DeltaGenerator

    files: dict[str, object] = {}
    button = DeltaGenerator.download_button

    def record(self, label, data, *args, **kwargs):
        files[str(kwargs.get("key"))] = data
        return button(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    return files


def _expander_of(at, license_name: str):
    found = [e for e in at.expander if plain(e.label).startswith(license_name)]
    assert len(found) == 1, [e.label for e in at.expander]
    return found[0]


@pytest.mark.parametrize("who", ["outsider", "member"])
def test_restricted_asset_only_for_members(restricted, monkeypatch, who: str) -> None:
    store, asset, viewers = restricted
    organization = str(asset.organization)
    as_viewer(monkeypatch, viewers[who])
    made = _csv_texts(monkeypatch)
    at = open_page(PAGE)
    at.selectbox(key="organization_name").select(organization).run()
    assert not at.exception
    shown = set(at.dataframe[0].value["sku_part_number"])
    expected = reports.totals(store, organizations=[organization], viewer=viewers[who])
    assert parse_count(metric_values(at)["Active"]) == expected["active"]
    csv_rows = made[-1].splitlines()[1:]
    labels = [e.label for e in at.expander]
    if who == "outsider":
        assert asset.sku_part_number not in shown
        assert expected["active"] == reports.totals(store, organizations=[organization])["active"] - asset.active
        assert not any(f",{asset.sku_part_number}," in row for row in csv_rows)
        assert len(csv_rows) == len(shown) and len(labels) == len(shown)
    else:
        assert asset.sku_part_number in shown
        assert expected == reports.totals(store, organizations=[organization])
        assert sum(f",{asset.sku_part_number}," in row for row in csv_rows) == 1


def test_global_totals_leave_a_restricted_asset_out_for_an_outsider(restricted, monkeypatch) -> None:
    store, asset, viewers = restricted
    as_viewer(monkeypatch, viewers["outsider"])
    made = _csv_texts(monkeypatch)
    files = _downloads_by_key(monkeypatch)
    at = open_page()
    assert not made  # the CSV is built when its button is clicked, not on every run
    files["global_download_csv"]()  # type: ignore[operator]  # as a click would
    everything = reports.totals(store)
    shown = parse_count(metric_values(at)["Active"])
    assert shown == everything["active"] - asset.active
    assert shown == reports.totals(store, viewer=viewers["outsider"])["active"]
    table = next(d for d in at.dataframe if d.key == "global_licenses").value
    assert len(table) == everything["licenses"] - 1
    assert asset.asset_id not in set(table["asset_id"])
    assert len(made[-1].splitlines()) == everything["licenses"]  # the header and one row less


def test_synced_fields_are_read_only_and_notes_save(app_db: Path) -> None:
    store = synced(app_db)
    name = reports.organization_names(store)[0]
    first = reports.licenses(store, organizations=[name]).iloc[0]
    asset_id = int(first.asset_id)
    at = open_page(PAGE)
    at.selectbox(key="organization_name").select(name).run()
    assert "License assets" in [s.value for s in at.subheader]
    expander = _expander_of(at, str(first.license_name))
    assert expander.proto.icon == ":material/lock:"
    assert [c.value for c in expander.caption][0] == ":material/lock: Synced from Microsoft 365 — fields are locked"
    # the synced fields are shown as text: there is no widget to change them
    fields = [m.value for m in expander.markdown if m.value.startswith("| Field | Value | Field | Value |")]
    assert len(fields) == 1
    assert f"| SKU | {first.sku_part_number} |" in plain(fields[0])  # escaped: shown as text
    assert f"| Active | {int(first.active):,} |" in fields[0]
    assert not expander.text_input and not expander.number_input and not expander.get("data_editor")
    assert [t.label for t in expander.text_area] == ["Notes"]

    at.text_area(key=f"notes_{asset_id}").input("Renews in March; ask about E5.")
    at.button(key=f"save_notes_{asset_id}").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in _expander_of(at, str(first.license_name)).success] == ["Notes saved."]
    notes = reports.license_assets(store, organizations=[name]).set_index("asset_id").loc[asset_id, "notes"]
    assert notes == "Renews in March; ask about E5."
    assert at.text_area(key=f"notes_{asset_id}").value == "Renews in March; ask about E5."
    # a synced field cannot be saved through the library either (the page has no way to try)
    with pytest.raises(LockedError):
        update_asset(store, asset_id, active=1)


def test_security_settings_save_and_refuse_no_group(app_db: Path) -> None:
    store = synced(app_db)
    group = add_group(store, "Finance")
    name = reports.organization_names(store)[0]
    first = reports.licenses(store, organizations=[name]).iloc[0]
    asset_id = int(first.asset_id)
    at = open_page(PAGE)
    at.selectbox(key="organization_name").select(name).run()
    radio = at.radio(key=f"security_{asset_id}")
    assert radio.options == [ALL_USERS_LABEL, "Restricted to chosen groups"] and radio.value == ALL_USERS_LABEL
    assert at.multiselect(key=f"security_groups_{asset_id}").disabled
    radio.set_value("Restricted to chosen groups").run()
    at.button(key=f"save_security_{asset_id}").click().run()  # no group chosen
    assert [e.value for e in at.error] == ["Choose at least one group to restrict the asset to"]
    assert asset_groups(store, asset_id) == (False, [])
    at.multiselect(key=f"security_groups_{asset_id}").select(group)
    at.button(key=f"save_security_{asset_id}").click().run()
    assert not at.exception and not at.error
    assert asset_groups(store, asset_id) == (True, [group])
    at.radio(key=f"security_{asset_id}").set_value(ALL_USERS_LABEL).run()
    at.button(key=f"save_security_{asset_id}").click().run()
    assert asset_groups(store, asset_id) == (False, [])


def test_restricting_is_not_offered_before_a_group_exists(app_db: Path) -> None:
    store = synced(app_db)
    name = reports.organization_names(store)[0]
    asset_id = int(reports.licenses(store, organizations=[name]).iloc[0].asset_id)
    at = open_page(PAGE)
    at.selectbox(key="organization_name").select(name).run()
    assert at.radio(key=f"security_{asset_id}").options == [ALL_USERS_LABEL]
    assert any("create a group on the Settings page" in c.value for c in at.caption)
    add_group(store, "Finance")  # on the Settings page, which clears the page caches
    clear_caches()
    at.run()
    assert at.radio(key=f"security_{asset_id}").options == [ALL_USERS_LABEL, "Restricted to chosen groups"]


def test_read_only_viewer_cannot_edit_notes_or_security(app_db: Path, monkeypatch) -> None:
    store = synced(app_db)
    as_viewer(monkeypatch, Viewer(email="ro@msp.example", display_name="Ro", role="Read-only"))
    asset_id = int(reports.licenses(store).iloc[0].asset_id)
    at = open_page(PAGE)
    at.selectbox(key="organization_name").select(str(reports.licenses(store).iloc[0].organization)).run()
    assert at.text_area(key=f"notes_{asset_id}").disabled
    assert at.button(key=f"save_notes_{asset_id}").disabled
    assert at.radio(key=f"security_{asset_id}").disabled
    assert at.button(key=f"save_security_{asset_id}").disabled
    assert "Your role (Read-only) cannot edit notes or security settings." in [c.value for c in at.caption]
