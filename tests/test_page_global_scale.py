"""The Global page at scale: what it sends to the browser stays bounded (a page of the license
table and of the alerts, the downloads built when clicked), and the set-based row facts it
computes for thousands of licenses say exactly what the one-row rules say."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from page_helpers import app_db, open_page, plain, synced  # noqa: F401

from o365lic import alerts, reports
from o365lic.card_totals import license_kind, license_kinds, utilisation_class, utilisation_classes
from o365lic.ui import cards, settings_sync

REASONS = [None, math.nan, "", "trial", "free SKU", "viral", "10,000+ units"]
FREE = [True, False, None, math.nan]


def test_set_based_kinds_match_the_one_row_rule() -> None:
    pairs = [(f, r) for f in FREE for r in REASONS]
    is_free = pd.Series([f for f, _ in pairs], dtype=object)
    reasons = pd.Series([r for _, r in pairs], dtype=object)
    assert license_kinds(is_free, reasons).tolist() == [
        license_kind(f, r if isinstance(r, str) else None) for f, r in pairs]
    assert license_kinds(is_free, None).tolist() == [license_kind(f, None) for f in is_free]
    # as the store gives them: a boolean column and text or None
    typed = pd.Series([True, False, False], dtype=bool)
    assert license_kinds(typed, pd.Series(["free SKU", None, "trial"])).tolist() == ["free", "paid", "trial"]


@pytest.mark.parametrize("active, consumed", [(100, 40), (100, 100), (100, 107), (0, 0), (0, 4), (10, 5), (10, 4),
                                              (1_000_000, 3), (3, 1), (2, 1)])
def test_set_based_utilisation_matches_the_one_row_rule(active: int, consumed: int) -> None:
    shown = utilisation_classes(pd.Series([active, active]), pd.Series([consumed, consumed])).tolist()
    assert shown == [utilisation_class(active, consumed)] * 2


def test_prepared_rows_say_what_the_one_row_rules_say() -> None:
    now = datetime.now(UTC)
    pairs = [(f, r) for f in (True, False) for r in REASONS]
    costs = pd.DataFrame({
        "organization": [f"Org {i}" for i in range(len(pairs))],
        "tenant_id": ["t-fresh", "t-paused", "t-old", "t-never", "t-naive", "t-gone", "t-fresh"] * 2,
        "active": [10, 0, 5, 100, 7, 1, 3] * 2, "consumed": [4, 0, 9, 100, 7, 0, 2] * 2,
        "utilisation": [0.4, None, 1.8, 1.0, 1.0, 0.0, 2 / 3] * 2,
        "is_free": [f for f, _ in pairs], "free_reason": [r for _, r in pairs],
        "monthly_cost": [12.5, math.nan, 1234.5, 0.0, 7.0, math.nan, 3.0] * 2,
        "unused_monthly_cost": [7.5, math.nan, 0.0, 0.0, 0.0, math.nan, 1.0] * 2,
        "currency": ["USD", None, "EUR", "USD", "USD", None, "GBP"] * 2,
    })
    tenants = pd.DataFrame({
        "tenant_id": ["t-fresh", "t-paused", "t-old", "t-never", "t-naive"],
        "paused": [False, True, False, False, False],
        "last_success": pd.Series([now - timedelta(hours=1), now, now - timedelta(hours=49), None,
                                   (now - timedelta(hours=2)).replace(tzinfo=None)], dtype=object),
    })
    table = cards.prepare(costs, tenants, 48)
    assert table["kind"].tolist() == [cards.kind_label(f, r) for f, r in pairs]
    assert table["usage"].tolist() == [cards.USAGE_LABELS[utilisation_class(a, c)]
                                       for a, c in zip(costs["active"], costs["consumed"])]
    assert table["data_state"].tolist() == ["", "Paused", "Stale", "Stale", "", "Disconnected", ""] * 2
    assert table["monthly_cost_text"].tolist()[:3] == ["USD 12.50", "no price", "EUR 1,234.50"]
    bare = cards.prepare(costs, tenants, 48, texts=False)
    assert "monthly_cost_text" not in bare
    assert cards.with_cost_texts(bare.iloc[2:4])["unused_cost_text"].tolist() == ["EUR 0.00", "USD 0.00"]


def _frame(at, key: str) -> pd.DataFrame:
    return next(d for d in at.dataframe if d.key == key).value


def _alerts(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "detail" in d.value.columns)


def test_license_table_and_alerts_are_sent_a_page_at_a_time(app_db: Path, monkeypatch) -> None:
    store = synced(app_db)
    licenses = reports.licenses(store)
    found = alerts.alerts(store)
    rows = 4
    assert len(licenses) > 2 * rows and len(found) > rows, "the demo has enough licenses and alerts to page"
    monkeypatch.setattr(settings_sync, "PAGE_ROWS", rows)
    at = open_page()
    assert not at.exception
    table = _frame(at, "global_licenses")
    assert table["license_name"].tolist() == licenses["license_name"].head(rows).tolist()
    captions = [plain(c.value) for c in at.caption]
    assert f"Licenses 1–{rows} of {len(licenses):,}; search or filter to narrow them, the downloads have them all." \
        in captions
    assert f"Alerts 1–{rows} of {len(found):,}; the downloads have them all." in captions
    assert _alerts(at)["detail"].tolist() == found["detail"].head(rows).tolist()

    pages = -(-len(licenses) // rows)
    box = at.number_input(key="global_licenses_page")
    assert box.label == f"Page (of {pages})"
    box.set_value(pages).run()  # the last page: the rest of the rows, in the same order
    assert not at.exception
    last = _frame(at, "global_licenses")
    assert last["license_name"].tolist() == licenses["license_name"].iloc[(pages - 1) * rows:].tolist()
    assert last["monthly_cost_text"].notna().all()  # the page shown has its costs as text

    # choosing a row of a later page opens that row's organization
    at.session_state["global_licenses"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="organization_name").value == str(last["organization"].iloc[0])


def test_few_licenses_need_no_page_box(app_db: Path) -> None:
    store = synced(app_db)
    assert len(reports.licenses(store)) <= settings_sync.PAGE_ROWS
    at = open_page()
    assert not at.exception
    assert not [n for n in at.number_input if n.key in ("global_licenses_page", "global_alerts_page")]
    assert len(_frame(at, "global_licenses")) == len(reports.licenses(store))


def test_sort_by_orders_every_page_not_only_the_one_shown(app_db: Path, monkeypatch) -> None:
    """With more licenses than a page, "Sort by" orders all of them before paging: the first page
    holds the licenses with the most unused seats of all, and a chosen row still opens its own
    organization."""
    store = synced(app_db)
    licenses = reports.licenses(store)
    rows = 4
    monkeypatch.setattr(settings_sync, "PAGE_ROWS", rows)
    at = open_page()
    assert not at.exception
    assert at.selectbox(key="global_table_sort").value == "Organization"
    at.selectbox(key="global_table_sort").set_value("Unused licenses, most first").run()
    assert not at.exception
    first = _frame(at, "global_licenses")
    most = sorted(licenses["unused"], reverse=True)[:rows]
    assert first["unused"].tolist() == most
    assert first["unused"].iloc[0] > licenses["unused"].head(rows).min()  # not the unsorted first page
    at.selectbox(key="global_table_sort").set_value("License name").run()
    names = _frame(at, "global_licenses")["license_name"].tolist()
    assert names == sorted(licenses["license_name"], key=str.lower)[:rows]
    at.session_state["global_licenses"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="organization_name").value == str(
        licenses.sort_values("license_name", key=lambda c: c.str.lower(), kind="stable")["organization"].iloc[1])


def test_sort_orders_rank_missing_values_last() -> None:
    table = pd.DataFrame({"organization": ["A", "B", "C"], "license_name": ["b", "A", "c"],
                          "unused": [1, 5, 3], "unused_monthly_cost": [float("nan"), 2.0, 9.0],
                          "utilisation": [50.0, float("nan"), 10.0]})
    assert cards.sort_licenses(table, "Unused cost, highest first")["organization"].tolist() == ["C", "B", "A"]
    assert cards.sort_licenses(table, "Utilisation, lowest first")["organization"].tolist() == ["C", "A", "B"]
    assert cards.sort_licenses(table, "License name")["organization"].tolist() == ["B", "A", "C"]
    assert cards.sort_licenses(table, "Organization")["organization"].tolist() == ["A", "B", "C"]
