"""The Settings page's Prices and Alerts sections: the price list edited in one table (all or
nothing), imported from a CSV, downloaded; the alert thresholds checked before they are saved."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from page_helpers import app_db, as_viewer, open_page, plain, runtime, section  # noqa: F401
from streamlit.testing.v1 import AppTest

from o365lic.alerts import AlertSettings, alert_settings
from o365lic.store import Viewer
from o365lic.store.prices import price_list, save_price_list
from o365lic.ui import settings_prices

PAGE = "pages/settings.py"
READ_ONLY = Viewer(email="ro@msp.example", display_name="Ro", role="Read-only")


def _editor(at: AppTest):
    editors = [d for d in at.dataframe if d.key and d.key.startswith("price_list_")]
    assert len(editors) == 1, [d.key for d in at.dataframe]
    return editors[0]


def _edit(at: AppTest, edited=None, added=None, deleted=None) -> AppTest:
    at.session_state[_editor(at).key] = {"edited_rows": edited or {}, "added_rows": added or [],
                                         "deleted_rows": deleted or []}
    at.button(key="save_prices").click().run()
    assert not at.exception, at.exception
    return at


def _prices_page(db: Path) -> tuple[AppTest, object]:
    _, store = runtime(db)
    at = open_page(PAGE)  # the demo's example prices are installed by now: replace them
    save_price_list(store, pd.DataFrame([["SPE_E3", "USD", 36.0, None], ["SPE_E3", "EUR", 33.6, "Fabrikam"]],
                                        columns=["sku", "currency", "monthly_price", "organization"]), actor="test")
    return section(at, "Prices"), store


def _rows(store) -> list[tuple]:
    return [(r.sku, r.currency, round(r.monthly_price, 4), r.organization)
            for r in price_list(store).itertuples(index=False)]


def test_the_price_list_is_shown_edited_and_saved(app_db: Path) -> None:
    at, store = _prices_page(app_db)
    shown = _editor(at).value
    assert list(shown.columns) == ["sku", "currency", "monthly_price", "organization"]
    assert sorted(shown["sku"]) == ["SPE_E3", "SPE_E3"]
    assert sorted(shown["organization"]) == ["", "Fabrikam"]  # the default price: blank, never "None"
    default = int(shown.index[shown["organization"] == ""][0])
    _edit(at, edited={default: {"monthly_price": 39.5}},
          added=[{"sku": "EXCHANGESTANDARD", "currency": "usd", "monthly_price": 4.0}])
    assert at.success and "Prices saved: 3 prices" in at.success[0].value
    assert _rows(store) == [("EXCHANGESTANDARD", "USD", 4.0, None), ("SPE_E3", "USD", 39.5, None),
                            ("SPE_E3", "EUR", 33.6, "Fabrikam")]


def test_a_bad_row_is_refused_with_its_message_and_nothing_is_saved(app_db: Path) -> None:
    at, store = _prices_page(app_db)
    before = _rows(store)
    _edit(at, edited={0: {"monthly_price": 1.0}},
          added=[{"sku": "SPB", "currency": "dollars", "monthly_price": 22.0},
                 {"sku": "VISIOCLIENT", "currency": "USD", "monthly_price": 15.0, "organization": "Nobody Inc"}])
    assert len(at.error) == 1
    message = plain(at.error[0].value)
    assert message.startswith("The prices were not saved")
    assert "row 3: the currency 'dollars' is not a three-letter code" in message  # the currency row, by number
    assert "row 4: no organization named 'Nobody Inc'" in message
    assert "nothing was changed" in message
    assert _rows(store) == before  # all or nothing: the good edit of row 1 is not saved either


def test_a_csv_import_keeps_the_good_lines_and_names_the_bad_ones(app_db: Path, monkeypatch) -> None:
    at, store = _prices_page(app_db)
    at.button(key="import_prices").click().run()
    assert [w.value for w in at.warning] == ["Choose a CSV file first (header sku,currency,monthly_price)."]
    text = "sku,currency,monthly_price\nSPB,USD,22.00\nTYPO,US,1\nPOWER_BI_PRO,USD,abc\n"
    # AppTest cannot drop a file on the uploader: the file's bytes stand in for it
    monkeypatch.setattr(settings_prices, "uploaded_file", lambda: text.encode())
    at.button(key="import_prices").click().run()
    assert not at.exception, at.exception
    assert len(at.warning) == 1
    warning = plain(at.warning[0].value)
    assert warning.startswith("Imported 1 price. 2 lines refused")
    assert "line 3" in warning and "line 4" in warning
    assert ("SPB", "USD", 22.0, None) in _rows(store)


def test_the_price_list_offers_a_csv_download(app_db: Path) -> None:
    at, _ = _prices_page(app_db)
    assert [b.proto.label for b in at.get("download_button")] == ["Download prices (CSV)"]


def test_a_read_only_viewer_cannot_save_prices(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at, store = _prices_page(app_db)
    before = _rows(store)
    as_viewer(monkeypatch, READ_ONLY)  # demoted while the page is open
    _edit(at, edited={0: {"monthly_price": 1.0}})
    assert len(at.error) == 1 and "Read-only" in at.error[0].value
    assert _rows(store) == before
    at = section(open_page(PAGE), "Prices")
    assert at.button(key="save_prices").disabled and at.button(key="import_prices").disabled
    assert "Your role (Read-only) cannot" in " ".join(c.value for c in at.caption)


def test_alert_thresholds_are_saved_and_out_of_range_refused(app_db: Path) -> None:
    _, store = runtime(app_db)
    at = section(open_page(PAGE), "Alerts")
    assert at.number_input(key="alert_unused_min_seats").value == 5
    at.number_input(key="alert_unused_min_share").set_value(0.0)
    at.number_input(key="alert_renewal_days").set_value(4000)
    at.button(key="save_alert_settings").click().run()
    assert len(at.error) == 1
    assert at.error[0].value.startswith("“Renewal within (days)” must be a whole number from 0 to 3,650")
    assert alert_settings(store) == AlertSettings()  # nothing saved
    at.number_input(key="alert_renewal_days").set_value(60)
    at.number_input(key="alert_unused_min_share").set_value(25.0)
    at.button(key="save_alert_settings").click().run()
    assert at.success and at.success[0].value == "Alert thresholds saved."
    assert alert_settings(store) == AlertSettings(unused_min_seats=5, unused_min_share=0.25, renewal_days=60)
    at.number_input(key="alert_stale_sync_hours").set_value(0)
    at.button(key="save_alert_settings").click().run()
    assert len(at.error) == 1 and "Last successful sync older than (hours)" in at.error[0].value
    assert alert_settings(store).stale_sync_hours == 48
