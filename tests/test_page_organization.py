"""The Organization page: one organization's licenses, chart, tagged contacts, empty state."""

from __future__ import annotations

from pathlib import Path

from page_helpers import app_db, metric_values, open_page, parse_count, synced  # noqa: F401

from o365lic import reports
from o365lic.store import add_integration

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
        assert [b.label for b in at.get("download_button")] == ["Download CSV"]
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
