"""The Global page: metrics, chart, table and CSV narrowed alike by the filters."""

from __future__ import annotations

from pathlib import Path

from page_helpers import app_db, metric_values, open_page, parse_count, synced  # noqa: F401

from o365lic import reports
from o365lic.store import StoreBusyError


def _assert_metrics(at, expected: dict[str, float]) -> None:
    shown = metric_values(at)
    assert parse_count(shown["Active"]) == expected["active"]
    assert parse_count(shown["Consumed"]) == expected["consumed"]
    assert parse_count(shown["Unused"]) == expected["unused"]
    assert shown["Utilisation %"] == f"{expected['utilisation'] * 100:.1f}%"


def _table(at):
    assert len(at.dataframe) == 1
    return at.dataframe[0].value


def test_empty_database_points_to_sync(app_db: Path) -> None:
    at = open_page()
    assert not at.exception
    messages = [info.value for info in at.main.info]
    assert len(messages) == 1 and "Sync" in messages[0] and "synced" in messages[0]
    assert any(info.value.startswith("Demo mode") for info in at.sidebar.info)
    assert not at.metric
    assert not at.dataframe


def test_metrics_equal_store_totals(app_db: Path) -> None:
    store = synced(app_db)
    at = open_page()
    expected = reports.totals(store)
    assert expected["licenses"] > 0
    _assert_metrics(at, expected)
    table = _table(at)
    assert len(table) == expected["licenses"]
    assert set(table["organization"]) == set(reports.organization_names(store))
    assert at.get("vega_lite_chart"), "the chart per organization is drawn"
    assert [b.label for b in at.get("download_button")] == ["Download CSV"]


def test_organization_filter_narrows_metrics_and_table(app_db: Path) -> None:
    store = synced(app_db)
    at = open_page()
    names = reports.organization_names(store)
    assert at.multiselect(key="global_organizations").label == "Organization"
    assert at.multiselect(key="global_organizations").options == names
    chosen = names[1]
    at.multiselect(key="global_organizations").select(chosen).run()
    assert not at.exception
    expected = reports.totals(store, organizations=[chosen])
    assert expected["active"] < reports.totals(store)["active"]
    _assert_metrics(at, expected)
    table = _table(at)
    assert set(table["organization"]) == {chosen}
    assert len(table) == len(reports.licenses(store, organizations=[chosen]))


def test_search_narrows(app_db: Path) -> None:
    store = synced(app_db)
    at = open_page()
    assert at.text_input(key="global_search").label == "Search"
    at.text_input(key="global_search").input("exchange").run()
    assert not at.exception
    expected = reports.totals(store, search="exchange")
    assert 0 < expected["licenses"] < reports.totals(store)["licenses"]
    _assert_metrics(at, expected)
    table = _table(at)
    assert len(table) == expected["licenses"]
    for row in table.itertuples():
        text = f"{row.organization} {row.license_name} {row.sku_part_number}".lower()
        assert "exchange" in text


def test_search_matching_nothing_says_so(app_db: Path) -> None:
    synced(app_db)
    at = open_page()
    at.text_input(key="global_search").input("no such license anywhere").run()
    assert not at.exception
    assert parse_count(metric_values(at)["Active"]) == 0
    assert any("match" in info.value for info in at.info)
    assert not at.dataframe


def test_free_sku_toggle_changes_totals(app_db: Path) -> None:
    store = synced(app_db)
    assert reports.licenses(store, include_free=True)["is_free"].any(), "the demo tenants have free SKUs"
    at = open_page()
    toggle = at.toggle(key="global_include_free")
    assert toggle.label == "Include free SKUs" and toggle.value is False
    paid = reports.totals(store)
    _assert_metrics(at, paid)
    toggle.set_value(True).run()
    assert not at.exception
    everything = reports.totals(store, include_free=True)
    assert everything["active"] != paid["active"]
    _assert_metrics(at, everything)
    assert len(_table(at)) == everything["licenses"]


def test_store_busy_is_an_error_message(app_db: Path, monkeypatch) -> None:
    synced(app_db)

    def busy(*args, **kwargs):
        raise StoreBusyError("the database is in use by another program; try again")

    monkeypatch.setattr(reports, "totals", busy)
    at = open_page()
    assert not at.exception
    assert [e.value for e in at.error] == ["the database is in use by another program; try again"]


def test_many_organizations_chart_shows_top_20_then_all(app_db: Path) -> None:
    import json

    from o365lic.config import Settings
    from o365lic.simulator import start_simulator
    from o365lic.store import Store, add_integration
    from o365lic.sync import sync_tenants

    store = Store(app_db)
    with start_simulator(tenants=24, users_per_tenant=4, seed=2024) as sim:
        settings = Settings(db_path=app_db).with_simulator(
            authority_host=sim.authority_host, graph_url=sim.graph_url, ca_bundle=sim.ca_file,
            client_id=sim.client_id, client_secret=sim.client_secret)
        for tenant in sim.tenants.values():
            add_integration(store, tenant.tenant_id, tenant.display_name)
        assert all(r.outcome == "ok" for r in sync_tenants(store, settings))
    summary = reports.organization_summary(store)
    assert len(summary) == 24

    def chart_rows(at) -> list[str]:
        charts = at.get("vega_lite_chart")
        assert len(charts) == 1
        return json.loads(charts[0].proto.spec)["layer"][0]["encoding"]["y"]["sort"]

    at = open_page()
    toggle = at.toggle(key="global_show_all")
    assert toggle.label == "Show all organizations (24)" and toggle.value is False
    assert chart_rows(at) == summary["organization"].head(20).tolist()  # the largest by Active
    assert len(at.dataframe[0].value) == reports.totals(store)["licenses"]  # the table has all
    toggle.set_value(True).run()
    assert not at.exception
    assert chart_rows(at) == summary["organization"].tolist()
    assert not at.get("pagination")  # 24 fit on one page


def test_show_all_organizations_pages_a_bounded_chart(app_db: Path, monkeypatch) -> None:
    import json

    from o365lic import charts

    store = synced(app_db)  # six organizations with licenses; pages of four, a top three
    summary = reports.organization_summary(store)
    monkeypatch.setattr(charts, "PAGE_SIZE", 4)
    monkeypatch.setattr(charts, "DEFAULT_TOP", 3)
    pages = -(-len(summary) // 4)
    assert len(summary) == 6 and pages == 2

    def chart_rows(at) -> list[str]:
        found = at.get("vega_lite_chart")
        assert len(found) == 1
        return json.loads(found[0].proto.spec)["layer"][0]["encoding"]["y"]["sort"]

    at = open_page()
    assert chart_rows(at) == summary["organization"].head(3).tolist()
    at.toggle(key="global_show_all").set_value(True).run()
    pager = at.get("pagination")
    assert len(pager) == 1 and pager[0].num_pages == pages
    assert chart_rows(at) == summary["organization"].head(4).tolist()
    pager[0].set_value(pages).run()
    assert not at.exception
    assert chart_rows(at) == summary["organization"].iloc[(pages - 1) * 4:].tolist()
