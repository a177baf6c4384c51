"""The account manager's sections of the Global and Organization pages on the demo data: cards
that add up, costs per currency, what needs attention, renewals, change since, reclaimable
licenses, the customer report and Excel downloads."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
from page_helpers import app_db, metric_values, open_page, parse_count, plain, synced  # noqa: F401
from streamlit.delta_generator import DeltaGenerator

from o365lic import alerts, cost_reports, costs, insights, renewals, reports
from o365lic.store import Store

ORGANIZATION = "pages/organization.py"


def _cards_add_up(at) -> dict[str, int]:
    shown = {k: parse_count(v) for k, v in metric_values(at).items()
             if k in ("Active", "Consumed", "Unused", "Over-assigned")}
    assert set(shown) == {"Active", "Consumed", "Unused", "Over-assigned"}
    assert shown["Active"] - shown["Consumed"] == shown["Unused"] - shown["Over-assigned"]
    return shown


def _frame_with(at, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def _licenses(at) -> pd.DataFrame:
    return next(d for d in at.dataframe if d.key == "global_licenses").value


def test_cards_add_up_with_and_without_free_skus_and_filters(app_db: Path) -> None:
    store = synced(app_db)
    at = open_page()
    paid = _cards_add_up(at)
    assert paid["Over-assigned"] > 0, "the demo data has over-assigned licenses"
    assert paid["Active"] == reports.totals(store)["active"]
    at.toggle(key="global_include_free").set_value(True).run()
    assert _cards_add_up(at) == paid  # free and trial units are counted apart
    assert set(_licenses(at)["kind"]) - {""}, "the Free / trial column gives the reason"
    name = reports.organization_names(store)[0]
    at.multiselect(key="global_organizations").select(name).run()
    one = _cards_add_up(at)
    assert one["Active"] == reports.totals(store, organizations=[name])["active"] < paid["Active"]
    at.text_input(key="global_search").input("exchange").run()
    _cards_add_up(at)

    at = open_page(ORGANIZATION)
    at.selectbox(key="organization_name").select(name).run()
    assert _cards_add_up(at)["Active"] == reports.totals(store, organizations=[name])["active"]


def test_costs_are_price_times_seats_per_currency_and_no_price_apart(app_db: Path) -> None:
    store = synced(app_db)
    at = open_page()  # demo start-up installs the example prices (USD, and EUR for one organization)
    table = cost_reports.license_costs(store)
    totals = costs.cost_totals(table)
    assert sorted(totals["currency"]) == ["EUR", "USD"]
    # one row of four cost cards per currency, under its "Costs in <currency>" caption: never a sum
    labels = ("Monthly cost", "Annual cost", "Unused monthly", "Unused annual")
    cards = [m.value for m in at.metric if m.label in labels]
    assert [m.label for m in at.metric if m.label in labels] == list(labels) * len(totals)
    shown_currencies = [c.value.removeprefix("Costs in ") for c in at.caption if c.value.startswith("Costs in ")]
    assert shown_currencies == list(totals["currency"])
    for i, row in enumerate(totals.itertuples()):
        assert cards[4 * i: 4 * i + 4] == [f"{row.monthly_cost:,.0f}", f"{row.monthly_cost * 12:,.0f}",
                                           f"{row.unused_monthly_cost:,.0f}", f"{row.unused_monthly_cost * 12:,.0f}"]
    page = _licenses(at)
    for row in page.itertuples():
        if pd.isna(row.monthly_price):
            assert row.monthly_cost_text == "no price" and row.unused_cost_text == "no price"
        else:
            assert row.monthly_cost_text == costs.money(row.active * row.monthly_price, row.currency)
            assert row.unused_cost_text == costs.money(row.unused * row.monthly_price, row.currency)
    unpriced = costs.unpriced_summary(table)
    assert unpriced["licenses"] > 0
    captions = [plain(c.value) for c in at.caption]
    assert any(c.startswith(f"No price: {unpriced['licenses']:,} license") for c in captions)


def test_alerts_panel_lists_the_alerts(app_db: Path) -> None:
    store = synced(app_db)
    at = open_page()
    expected = alerts.alerts(store)
    assert len(expected) > 0
    panel = _frame_with(at, "detail")
    assert sorted(zip(panel["kind"], panel["detail"])) == sorted(zip(expected["kind"], expected["detail"]))
    assert any(m.value.endswith(f"Needs attention ({len(expected):,})**") for m in at.markdown)
    name = str(expected["organization"].iloc[0])
    at = open_page(ORGANIZATION)
    at.selectbox(key="organization_name").select(name).run()
    panel = _frame_with(at, "detail")
    assert set(panel["organization"]) == {name}
    assert len(panel) == len(alerts.alerts(store, organizations=[name]))


def test_renewals_window_switching_changes_rows(app_db: Path) -> None:
    store = synced(app_db)
    at = open_page()
    within = {d: renewals.renewals(store, days=d, include_free=False) for d in (30, 90)}
    assert 0 < len(within[30]) < len(within[90]), "the demo has renewals within 30 and within 90 days"
    assert len(_frame_with(at, "event")) == len(within[30])
    at.segmented_control(key="global_renewals_days").set_value(90).run()
    assert not at.exception
    shown = _frame_with(at, "event")
    assert len(shown) == len(within[90])
    assert list(shown["license_name"]) == list(within[90]["license_name"])


def test_change_since_says_the_sentence_after_two_syncs_with_a_change(app_db: Path) -> None:
    from feature_tenants import Lic, running, sync_into, tenant

    from o365lic.history import change_sentence

    store = Store(app_db)
    with running([tenant("Epsilon", [Lic("SPE_E3", 10, 6)])]) as sim:
        sync_into(store, sim, app_db)
        with store.transaction() as con:  # the first sync took place three days ago
            con.execute("UPDATE license_snapshots SET taken_at = taken_at - INTERVAL 3 DAY")
        with sim.lock:
            next(iter(sim.tenants.values())).skus[0].enabled = 22
        sync_into(store, sim, app_db, connect=False)
    at = open_page()
    assert not at.get("date_input"), "the sections below the table are built one at a time"
    at.segmented_control(key="global_section").set_value("Trends and change").run()
    since = (datetime.now(UTC) - timedelta(days=1)).date()
    at.date_input(key="global_change_date").set_value(since).run()
    assert not at.exception
    moment = datetime(since.year, since.month, since.day, tzinfo=UTC)
    sentence = change_sentence("Microsoft 365 E3", 12, moment)
    assert sentence.startswith("+12 Microsoft 365 E3 seats since ")
    assert any(plain(m.value) == f"- {sentence} at Epsilon" for m in at.markdown), [m.value for m in at.markdown]
    change = _frame_with(at, "Active Change")
    assert change[["Active Then", "Active Now", "Active Change"]].values.tolist() == [[10, 22, 12]]


def test_reclaimable_count_and_row_opens_the_organization(app_db: Path) -> None:
    store = synced(app_db)
    at = open_page()
    expected = insights.reclaimable_licenses(store)
    assert len(expected) > 0
    assert parse_count(metric_values(at)["Reclaimable licenses"]) == len(expected)
    assert parse_count(metric_values(at)["Overlapping licenses"]) == len(insights.overlapping_licenses(store))
    at.segmented_control(key="global_section").set_value("Reclaimable").run()
    listed = _frame_with(at, "Account Disabled")
    assert sorted(listed["User Principal Name"]) == sorted(expected["user_principal_name"])
    table = _licenses(at)
    name = str(table["organization"].iloc[len(table) - 1])
    at.session_state["global_licenses"] = {"selection": {"rows": [len(table) - 1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="organization_name").value == name
    assert any(s.value == "Office 365 Licenses" for s in at.subheader)


def test_report_downloads_and_xlsx_reopens(app_db: Path, monkeypatch) -> None:
    from o365lic.ui import downloads

    made: list[tuple[str, bytes]] = []
    original = downloads.workbook_bytes

    def spy(sheets):
        data = original(sheets)
        made.append((next(iter(sheets)), data))
        return data

    monkeypatch.setattr(downloads, "workbook_bytes", spy)
    files: list[tuple[str, object]] = []  # (label, data) of every download button, as it got them
    button = DeltaGenerator.download_button

    def record(self, label, data, *args, **kwargs):
        files.append((label, data))
        return button(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    store = synced(app_db)
    name = reports.organization_names(store)[0]
    at = open_page(ORGANIZATION)
    at.selectbox(key="organization_name").select(name).run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download Excel" in labels and labels.index("Download Excel") == labels.index("Download CSV") + 1
    assert "Download PDF" not in labels  # the report is built only when asked
    assert not made  # the workbooks are built when their button is clicked, not on every run
    for label, data in files:
        if label.endswith("Excel"):
            data()  # type: ignore[operator]  # as a click would
    title, data = next((t, d) for t, d in reversed(made) if t == "Office 365 Licenses")
    sheet = openpyxl.load_workbook(io.BytesIO(data))[title]
    header = [c.value for c in sheet[1]]
    expected = reports.licenses(store, organizations=[name])
    assert sheet.max_row == len(expected) + 1
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[header.index("Active")] for r in rows] == expected["active"].tolist()  # numbers as numbers
    assert {r[header.index("Organization")] for r in rows} == {name}

    at.button(key="organization_prepare_report").click().run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Download HTML", "Download PDF"} <= set(labels)
    built = at.session_state[f"organization_report::{name}"]
    assert built["pdf"].startswith(b"%PDF")
    assert built["html"].lstrip().upper().startswith(b"<!DOCTYPE")


def test_paused_and_disconnected_data_is_marked_and_can_be_left_out(app_db: Path) -> None:
    from o365lic.store import disconnect_tenant
    from o365lic.store.integrations import update_integration

    store = synced(app_db)
    licenses = reports.licenses(store)
    tenants = list(dict.fromkeys(licenses["tenant_id"]))
    paused, gone = tenants[0], tenants[1]
    update_integration(store, paused, paused=True)
    disconnect_tenant(store, gone, "keep-data")
    at = open_page()
    table = _licenses(at)
    states = dict(zip(table["tenant_id"], table["data_state"]))
    assert states[paused] == "Paused" and states[gone] == "Disconnected"
    assert {states[t] for t in tenants[2:]} == {""}
    assert len(table) == len(licenses)  # kept data stays, marked
    at.toggle(key="global_fresh_only").set_value(True).run()
    assert not at.exception
    fresh = licenses[~licenses["tenant_id"].isin([paused, gone])]
    assert len(_licenses(at)) == len(fresh)
    assert parse_count(metric_values(at)["Active"]) == int(fresh["active"].sum())
    _cards_add_up(at)
