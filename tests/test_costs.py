"""Costs: the price list (import, list, demo prices) and Active/Unused x price, per currency."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd
import pytest

from o365lic.cli import main
from o365lic.cost_reports import license_costs
from o365lic.costs import (
    COSTS_CSV_HEADER,
    cost_totals,
    costs_csv,
    unpriced_summary,
    unused_cost_by_organization,
)
from o365lic.simulator import SKU_CATALOG, Simulator
from o365lic.store import Store
from o365lic.store.prices import (
    PriceError,
    import_prices,
    install_demo_prices,
    price_list,
    set_price,
)
from tests.feature_tenants import Lic, running, sync_into, tenant

E3 = SKU_CATALOG["SPE_E3"].sku_id


@pytest.fixture(scope="module")
def sim():
    with running([
        tenant("Alpha", [Lic("SPE_E3", 10, 7), Lic("EXCHANGESTANDARD", 5, 5), Lic("VISIOCLIENT", 3, 1),
                         Lic("FLOW_FREE", 10000, 2)]),
        tenant("Beta", [Lic("SPE_E3", 20, 12)]),
    ]) as simulator:
        yield simulator


@pytest.fixture
def synced(sim: Simulator, store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    sync_into(store, sim, db_path)
    monkeypatch.setenv("O365LIC_DB", str(db_path))
    monkeypatch.setenv("O365LIC_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("O365LIC_CLIENT_SECRET", sim.client_secret)
    monkeypatch.setenv("O365LIC_AUTHORITY_HOST", sim.authority_host)
    monkeypatch.setenv("O365LIC_GRAPH_URL", sim.graph_url)
    monkeypatch.setenv("O365LIC_CA_BUNDLE", sim.ca_file)
    return store


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_costs_are_price_times_seats_per_currency_and_the_organizations_price_wins(synced: Store) -> None:
    set_price(synced, "spe_e3", "usd", "36")                      # default, by part number in any case
    set_price(synced, E3.upper(), "EUR", "33.60", "beta")          # Beta's own, by skuId
    set_price(synced, SKU_CATALOG["EXCHANGESTANDARD"].sku_id, "USD", "4")
    table = license_costs(synced).set_index(["organization", "sku_part_number"])
    alpha_e3, beta_e3 = table.loc[("Alpha", "SPE_E3")], table.loc[("Beta", "SPE_E3")]
    assert (alpha_e3.currency, alpha_e3.monthly_cost, alpha_e3.unused_monthly_cost) == ("USD", 360.0, 108.0)
    assert alpha_e3.annual_cost == 4320.0 and alpha_e3.unused_annual_cost == 1296.0
    assert beta_e3.currency == "EUR" and beta_e3.monthly_cost == pytest.approx(20 * 33.60)
    assert beta_e3.unused_monthly_cost == pytest.approx(8 * 33.60)
    visio = table.loc[("Alpha", "VISIOCLIENT")]
    assert not visio.priced and math.isnan(visio.monthly_cost) and visio.currency is None
    assert "FLOW_FREE" not in table.index.get_level_values(1)  # free SKUs are left out by default

    totals = cost_totals(license_costs(synced)).set_index("currency")
    assert sorted(totals.index) == ["EUR", "USD"]               # never added together
    assert totals.loc["USD", "monthly_cost"] == 360 + 20 and totals.loc["USD", "unused_monthly_cost"] == 108
    assert totals.loc["EUR", "monthly_cost"] == pytest.approx(672.0)
    assert unpriced_summary(license_costs(synced)) == {"licenses": 1, "active": 3, "unused": 2}
    ranking = unused_cost_by_organization(license_costs(synced), top=1)
    assert ranking[["organization", "currency"]].values.tolist() == [["Beta", "EUR"], ["Alpha", "USD"]]


def test_export_costs_writes_the_header_and_leaves_no_price_empty(synced: Store, tmp_path: Path) -> None:
    set_price(synced, "SPE_E3", "USD", "36.5")
    code, out, _ = run("export", "--costs")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert ",".join(rows[0]) == ("Organization,Tenant ID,License,SKU,Active,Consumed,Unused,Currency,"
                                 "Monthly Price,Monthly Cost,Unused Monthly Cost")
    by_key = {(r[0], r[3]): r for r in rows[1:]}
    assert by_key[("Alpha", "SPE_E3")][4:] == ["10", "7", "3", "USD", "36.50", "365.00", "109.50"]
    assert by_key[("Alpha", "VISIOCLIENT")][4:] == ["3", "1", "2", "", "", "", ""]
    code, _, err = run("export", "--costs", "--organization", "BETA", "--out", str(tmp_path / "c.csv"))
    assert code == 0 and "1 licenses written" in err
    assert (tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()[1].startswith("Beta,")


def test_costs_csv_guards_formulas() -> None:
    frame = pd.DataFrame([{"organization": "=HYPERLINK(\"x\")", "tenant_id": "t", "license_name": "+SUM(1)",
                           "sku_part_number": "@X", "active": 2, "consumed": 1, "unused": 1, "currency": "USD",
                           "monthly_price": 1.5, "monthly_cost": 3.0, "unused_monthly_cost": 1.5}])
    row = list(csv.reader(io.StringIO(costs_csv(frame))))[1]
    assert row[0] == "'=HYPERLINK(\"x\")" and row[2] == "'+SUM(1)" and row[3] == "'@X"
    assert tuple(next(iter(csv.reader(io.StringIO(costs_csv(frame)))))) == COSTS_CSV_HEADER


def test_prices_import_reports_bad_rows_by_line_keeps_good_ones_and_replaces_same_sku(
        synced: Store, tmp_path: Path) -> None:
    source = tmp_path / "prices.csv"
    source.write_text(
        "sku,currency,monthly_price,organization\n"
        "SPE_E3,USD,36,\n"
        "SPE_E3,dollars,36,\n"
        "VISIOCLIENT,USD,twelve,\n"
        "SPE_E3,EUR,30,No Such Org\n"
        f"{E3},EUR,33.60,Beta\n"
        "EXCHANGESTANDARD,USD,4,\n", encoding="utf-8")
    code, out, err = run("prices", "import", str(source))
    assert code == 1
    assert "line 3:" in err and "three-letter" in err
    assert "line 4:" in err and "not a number" in err
    assert "line 5:" in err and "No Such Org" in err
    assert "3 prices saved, 3 rows refused" in out
    source.write_text("sku,currency,monthly_price\nspe_e3,USD,38\n", encoding="utf-8")
    assert run("prices", "import", str(source))[0] == 0
    listed = price_list(synced)
    assert listed.values.tolist() == [  # by SKU as written; the GUID sorts first
        [E3, "EUR", 33.6, "Beta"], ["EXCHANGESTANDARD", "USD", 4.0, None], ["spe_e3", "USD", 38.0, None]]
    code, out, _ = run("prices", "list")
    assert code == 0 and out.splitlines()[0] == "sku,currency,monthly_price,organization"
    assert "spe_e3,USD,38.00," in out and f"{E3},EUR,33.60,Beta" in out
    # what 'prices list' prints imports back unchanged
    assert import_prices(synced, out).errors == [] and price_list(synced).equals(listed)


def test_a_file_without_the_header_is_refused_whole(synced: Store) -> None:
    with pytest.raises(PriceError, match="header"):
        import_prices(synced, "SPE_E3,USD,36\n")
    assert price_list(synced).empty


def test_demo_prices_never_overwrite_a_users_prices(synced: Store, tmp_path: Path) -> None:
    set_price(synced, "SPE_E3", "GBP", "30")
    assert install_demo_prices(synced) == 0
    assert price_list(synced).values.tolist() == [["SPE_E3", "GBP", 30.0, None]]
    fresh = Store(tmp_path / "fresh.duckdb")
    assert install_demo_prices(fresh) > 5
    with fresh.transaction() as con:
        con.execute("DELETE FROM price_list")
    assert install_demo_prices(fresh) == 0 and price_list(fresh).empty  # emptied on purpose stays empty


def test_unused_cost_chart_holds_one_currency_and_the_top_organizations() -> None:
    from o365lic.insight_charts import unused_cost_chart

    by_org = pd.DataFrame({
        "organization": ["A", "B", "C", "D"], "currency": ["USD", "USD", "USD", "EUR"],
        "unused_monthly_cost": [10.0, 30.0, 20.0, 99.0], "unused_annual_cost": [120.0, 360.0, 240.0, 1188.0],
        "unused": [1, 3, 2, 9]})
    spec = unused_cost_chart(by_org, "USD", top=2).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["organization"] for r in rows] == ["B", "C"] and "Top 2 of 3" in spec["title"]
    everything = next(iter(unused_cost_chart(by_org, "USD", top=None).to_dict()["datasets"].values()))
    assert {r["currency"] for r in everything} == {"USD"} and len(everything) == 3


def test_the_settings_editor_saves_the_whole_list_or_nothing(synced: Store) -> None:
    from o365lic.store.prices import save_price_list

    set_price(synced, "SPB", "USD", "22")
    edited = pd.DataFrame([{"sku": "SPE_E3", "currency": "usd", "monthly_price": 36.0, "organization": None},
                           {"sku": "SPE_E3", "currency": "EUR", "monthly_price": -1, "organization": "Beta"},
                           {"sku": "", "currency": "USD", "monthly_price": 1.0, "organization": None}])
    with pytest.raises(PriceError, match=r"row 2: .*row 3: "):
        save_price_list(synced, edited, actor="admin@msp.example")
    assert price_list(synced).values.tolist() == [["SPB", "USD", 22.0, None]]       # nothing changed
    edited.loc[1, "monthly_price"] = 33.6
    edited = edited.drop(index=2)
    assert save_price_list(synced, edited, actor="admin@msp.example") == 2
    assert price_list(synced).values.tolist() == [["SPE_E3", "USD", 36.0, None], ["SPE_E3", "EUR", 33.6, "Beta"]]
