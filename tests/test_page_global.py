"""The Global page: metrics, chart, table and CSV narrowed alike by the filters."""

from __future__ import annotations

from pathlib import Path

from page_helpers import app_db, metric_values, open_page, parse_count, synced  # noqa: F401

from o365lic import charts, reports
from o365lic.card_totals import card_totals
from o365lic.store import StoreBusyError


def _assert_metrics(at, expected: dict[str, float]) -> None:
    shown = metric_values(at)
    assert parse_count(shown["Active"]) == expected["active"]
    assert parse_count(shown["Consumed"]) == expected["consumed"]
    assert parse_count(shown["Unused"]) == expected["unused"]
    assert shown["Utilisation %"] == f"{expected['utilisation'] * 100:.1f}%"


def _table(at):
    tables = [d for d in at.dataframe if d.key == "global_licenses"]
    assert len(tables) == 1
    return tables[0].value


def _organization_chart_rows(at) -> list[str]:
    """The organizations of the per-organization chart, in the order drawn."""
    import json

    found = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if "layer" in spec and spec["layer"][0]["encoding"]["y"]["field"] == "organization":
            found.append(spec["layer"][0]["encoding"]["y"]["sort"])
    assert len(found) == 1
    return found[0]


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
    assert [b.proto.label for b in at.get("download_button")][:2] == ["Download CSV", "Download Excel"]


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
    assert not [d for d in at.dataframe if d.key == "global_licenses"]


def test_free_sku_toggle_lists_free_skus_but_counts_them_apart(app_db: Path) -> None:
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
    assert everything["active"] > paid["active"] * 10, "a huge free SKU is in the demo data"
    _assert_metrics(at, paid)  # the cards stay the paid figures: free units never swamp them
    assert len(_table(at)) == everything["licenses"]
    cards = card_totals(reports.licenses(store, include_free=True))
    assert f"{cards.free.active:,} units" in " ".join(c.value for c in at.caption)
    assert set(_table(at)["kind"]) >= {"", "Free (free SKU)"} or any(
        k.startswith("Free") for k in _table(at)["kind"])


def test_store_busy_is_an_error_message(app_db: Path, monkeypatch) -> None:
    synced(app_db)

    def busy(*args, **kwargs):
        raise StoreBusyError("the database is in use by another program; try again")

    monkeypatch.setattr(reports, "totals", busy)
    at = open_page()
    assert not at.exception
    assert [e.value for e in at.error] == ["the database is in use by another program; try again"]


def test_many_organizations_chart_shows_top_20_then_all(app_db: Path) -> None:
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
        return _organization_chart_rows(at)

    at = open_page()
    toggle = at.toggle(key="global_show_all")
    assert toggle.label == "Show all organizations (24)" and toggle.value is False
    ranked = charts.top_organizations(summary, None, by="unused")["organization"]
    assert chart_rows(at) == ranked.head(20).tolist()  # the most unused seats first
    assert len(_table(at)) == reports.totals(store)["licenses"]  # the table has all
    toggle.set_value(True).run()
    assert not at.exception
    assert chart_rows(at) == ranked.tolist()
    assert not at.get("pagination")  # 24 fit on one page


def test_show_all_organizations_pages_a_bounded_chart(app_db: Path, monkeypatch) -> None:
    store = synced(app_db)  # six organizations with licenses; pages of four, a top three
    summary = reports.organization_summary(store)
    monkeypatch.setattr(charts, "PAGE_SIZE", 4)
    monkeypatch.setattr(charts, "DEFAULT_TOP", 3)
    pages = -(-len(summary) // 4)
    assert len(summary) == 6 and pages == 2

    def chart_rows(at) -> list[str]:
        return _organization_chart_rows(at)

    ranked = charts.top_organizations(summary, None, by="unused")["organization"]
    at = open_page()
    assert chart_rows(at) == ranked.head(3).tolist()
    at.toggle(key="global_show_all").set_value(True).run()
    pager = at.get("pagination")
    assert len(pager) == 1 and pager[0].num_pages == pages
    assert chart_rows(at) == ranked.head(4).tolist()
    pager[0].set_value(pages).run()
    assert not at.exception
    assert chart_rows(at) == ranked.iloc[(pages - 1) * 4:].tolist()
