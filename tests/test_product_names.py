"""Microsoft's product names: downloaded (here from the simulator) or read from a file."""

from __future__ import annotations

import csv
import dataclasses

import pytest

from o365lic.licenses import BUILTIN_PRODUCT_NAMES
from o365lic.product_names import ProductNamesError, refresh_if_stale, refresh_product_names
from o365lic.simulator import SKU_CATALOG, Simulator
from o365lic.store import Store, load_product_names, product_names_loaded_at
from o365lic.sync import sync_tenants
from tests.conftest import PRODUCT_NAMES_CSV, SAMPLE_PRODUCT_NAMES_CSV, connect_all, settings_for

MICROSOFT_HEADER = ("Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
                    "Service_Plans_Included_Friendly_Names")


def test_download_from_the_published_location(sim: Simulator, store: Store, db_path) -> None:
    count = refresh_product_names(store, settings_for(sim, db_path))
    names = load_product_names(store)
    assert count == len(names) >= 10
    assert names["05e9a617-0261-4cee-bb44-138d3ef5d965"] == "Microsoft 365 E3"  # nbsp cleaned
    assert product_names_loaded_at(store) is not None


@pytest.mark.microsoft_names
def test_microsofts_own_file(store: Store, sim: Simulator, db_path) -> None:
    count = refresh_product_names(store, settings_for(sim, db_path), file=PRODUCT_NAMES_CSV)
    assert count > 500
    assert load_product_names(store)["f30db892-07e9-47e9-837c-80727f46fd3d"] == "Microsoft Power Automate Free"


def test_the_sample_file_is_in_microsofts_format() -> None:
    raw = SAMPLE_PRODUCT_NAMES_CSV.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + MICROSOFT_HEADER.encode() + b"\r\n")  # BOM, header, CRLF
    assert raw.count(b"\n") == raw.count(b"\r\n") > 40
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert {len(row) for row in rows} == {6}
    names = [row[0] for row in rows[1:]]
    assert any("\u00a0" in name for name in names)  # a stray non-breaking space, as in Microsoft's file
    assert any(name != name.rstrip() for name in names)  # and trailing spaces
    assert any("," in name for name in names)  # a quoted name


def test_the_sample_file_names_every_sku_the_tests_use(store: Store, sim: Simulator, db_path) -> None:
    count = refresh_product_names(store, settings_for(sim, db_path), file=SAMPLE_PRODUCT_NAMES_CSV)
    names = load_product_names(store)
    assert count == len(names) == 21
    for sku in SKU_CATALOG.values():
        assert names[sku.sku_id] == sku.display_name
    for sku_id, name in BUILTIN_PRODUCT_NAMES.items():
        assert names[sku_id] == name
    assert names["05e9a617-0261-4cee-bb44-138d3ef5d965"] == "Microsoft 365 E3"  # nbsp cleaned
    assert names["c5928f49-12ba-48f7-ada3-0d743a3601d5"] == "Visio Plan 2"  # trailing space cleaned
    assert names["977464c4-bfaf-4b67-b761-a9bb735a2196"].startswith("Dynamics 365 Field Service, Enterprise")


def test_a_bad_download_keeps_the_names_we_had(sim: Simulator, store: Store, db_path) -> None:
    settings = settings_for(sim, db_path)
    refresh_product_names(store, settings)
    before = load_product_names(store)
    broken = dataclasses.replace(settings, product_names_url=sim.authority_host + "/nothing-here.csv")
    with pytest.raises(ProductNamesError, match="could not download"):
        refresh_product_names(store, broken)
    discovery = sim.authority_host + "/common/v2.0/.well-known/openid-configuration"
    not_csv = dataclasses.replace(settings, product_names_url=discovery)
    with pytest.raises(ProductNamesError):
        refresh_product_names(store, not_csv)
    assert load_product_names(store) == before


def test_sync_fetches_names_once_a_week_and_survives_without_them(sim: Simulator, store: Store, db_path) -> None:
    connect_all(store, sim)
    settings = settings_for(sim, db_path)
    unreachable = dataclasses.replace(settings, product_names_url="https://127.0.0.1:9/names.csv")
    results = sync_tenants(store, unreachable)
    assert {r.outcome for r in results} == {"ok"}
    assert load_product_names(store) == {}
    assert refresh_if_stale(store, settings) is None
    loaded = product_names_loaded_at(store)
    assert refresh_if_stale(store, settings) is None and product_names_loaded_at(store) == loaded
    sync_tenants(store, settings)
    assert product_names_loaded_at(store) == loaded  # fresh: not fetched again


def test_cli_names_refresh_from_a_file(store: Store, db_path, monkeypatch) -> None:
    from tests.test_cli import run

    monkeypatch.setenv("O365LIC_DB", str(db_path))
    code, out, _ = run("names", "refresh", "--file", str(SAMPLE_PRODUCT_NAMES_CSV))
    assert code == 0 and "product names loaded for 21 SKUs" in out
    code, _, err = run("names", "refresh", "--file", str(db_path.parent / "missing.csv"))
    assert code == 1 and "cannot read" in err
