"""CSV export (SPEC section 9): header, formula guard, timestamps."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pandas as pd
import pytest

from o365lic.export import CSV_HEADER, guard_cell, iso_utc, licenses_csv


def _table(**overrides: object) -> pd.DataFrame:
    row = {
        "organization": "Contoso", "tenant_id": "11111111-2222-3333-4444-555555555555",
        "license_name": "Microsoft 365 E3", "sku_part_number": "SPE_E3", "status": "Enabled",
        "active": 25, "consumed": 20, "unused": 5,
        "synced_at": datetime(2026, 11, 26, 6, 30, 5, 123456, tzinfo=UTC),
    }
    row.update(overrides)
    return pd.DataFrame([row])


def test_header_is_exactly_the_spec() -> None:
    text = licenses_csv(_table())
    assert text.splitlines()[0] == "Organization,Tenant ID,License,SKU,Status,Active,Consumed,Unused,Last Synced"
    assert ",".join(CSV_HEADER) == text.splitlines()[0]


def test_row_values_and_iso_utc_timestamp() -> None:
    rows = list(csv.reader(io.StringIO(licenses_csv(_table()))))
    assert rows[1] == ["Contoso", "11111111-2222-3333-4444-555555555555", "Microsoft 365 E3",
                       "SPE_E3", "Enabled", "25", "20", "5", "2026-11-26T06:30:05Z"]


@pytest.mark.parametrize("evil", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_guard(evil: str) -> None:
    rows = list(csv.reader(io.StringIO(licenses_csv(_table(organization=evil, license_name=evil)))))
    assert rows[1][0] == "'" + evil
    assert rows[1][2] == "'" + evil


def test_harmless_cells_are_untouched() -> None:
    assert guard_cell("Contoso = best") == "Contoso = best"
    assert guard_cell(5) == 5


def test_naive_and_offset_times_become_utc() -> None:
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert iso_utc(pd.Timestamp("2026-01-02T05:04:05+02:00")) == "2026-01-02T03:04:05Z"
    assert iso_utc(None) == ""


def test_empty_table_is_just_the_header() -> None:
    assert licenses_csv(_table().iloc[0:0]) == ",".join(CSV_HEADER) + "\r\n"


def test_utf8_names_survive() -> None:
    rows = list(csv.reader(io.StringIO(licenses_csv(_table(organization="Müller & Søn, Zürich")))))
    assert rows[1][0] == "Müller & Søn, Zürich"
