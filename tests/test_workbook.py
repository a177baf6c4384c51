"""Excel workbooks and download file names: what a person sees when they open the file."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pandas as pd
import pytest

from o365lic.filenames import download_name, safe_part
from o365lic.workbook import WorkbookError, workbook_bytes

HOSTILE = "=cmd|' /C calc'!A0"


def _open(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_numbers_dates_text_and_a_frozen_header_survive_a_reopen() -> None:
    synced = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
    table = pd.DataFrame({
        "Organization": ["Café Müller GmbH", HOSTILE, "+SUM(1)"],
        "Active": [145, 10, 0],
        "Monthly Price": [12.5, float("nan"), 0.1],
        "Last Synced (UTC)": [pd.Timestamp(synced), pd.NaT, pd.Timestamp("2026-01-02 03:04", tz="Europe/Berlin")],
        "Renewal": [date(2027, 1, 31), None, date(2026, 12, 1)],
        "Free": [True, False, None],
    })
    book = _open(workbook_bytes({"Licenses": table, "Empty": table.iloc[0:0]}))
    assert book.sheetnames == ["Licenses", "Empty"]
    sheet = book["Licenses"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == list(table.columns)
    name, hostile, plus = sheet["A2"], sheet["A3"], sheet["A4"]
    assert name.value == "Café Müller GmbH"
    assert hostile.value == HOSTILE and hostile.data_type == "s"
    assert plus.value == "+SUM(1)" and plus.data_type == "s"
    assert sheet["B2"].value == 145 and sheet["B2"].data_type == "n"
    assert sheet["C2"].value == 12.5 and sheet["C3"].value is None
    stamp = sheet["D2"]
    assert stamp.is_date and stamp.value == datetime(2026, 11, 26, 6, 30)  # UTC, without a zone
    assert sheet["D4"].value == datetime(2026, 1, 2, 2, 4)  # Berlin 03:04 in UTC
    assert sheet["D3"].value is None
    assert sheet["E2"].is_date and sheet["E2"].value == datetime(2027, 1, 31)
    assert sheet["F2"].value is True and sheet["F3"].value is False
    assert book["Empty"].freeze_panes == "A2" and [c.value for c in book["Empty"][1]] == list(table.columns)


def test_columns_fit_their_header_and_usual_values() -> None:
    table = pd.DataFrame({"Organization": ["A very long organization name GmbH & Co. KG"] * 3,
                          "SKU": ["O365_BUSINESS_PREMIUM"] * 3, "Active": [1, 2, 3]})
    sheet = _open(workbook_bytes({"Licenses": table}))["Licenses"]
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABC"}
    assert widths["A"] >= len("A very long organization name GmbH & Co. KG")
    assert widths["B"] >= len("O365_BUSINESS_PREMIUM")
    assert len("Active") <= widths["C"] < 20


def test_sheet_names_excel_refuses_are_made_acceptable_and_unique() -> None:
    table = pd.DataFrame({"x": [1]})
    book = _open(workbook_bytes({"Costs: 2026/11 [EUR]?": table, "costs  2026 11  EUR": table,
                                 "x" * 40: table, "History": table}))
    assert book.sheetnames[0] == "Costs 2026 11 EUR"
    assert book.sheetnames[1] == "costs 2026 11 EUR (2)"
    assert len(book.sheetnames[2]) == 31
    assert book.sheetnames[3] != "History"


def test_no_table_is_refused() -> None:
    with pytest.raises(WorkbookError, match="no table"):
        workbook_bytes({})


def test_file_names_carry_the_organization_with_its_accents_and_the_date() -> None:
    day = date(2026, 11, 26)
    assert download_name("Office 365 Licenses", "Café Müller GmbH", "xlsx", on=day) == \
        "Office 365 Licenses - Café Müller GmbH - 2026-11-26.xlsx"
    assert download_name("Office 365 Licenses", None, ".csv", on=day) == "Office 365 Licenses - 2026-11-26.csv"
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC).astimezone()
    assert download_name("Sync log", "", "csv", on=late).endswith("2026-11-26.csv")
    assert download_name("X", "Y", "xlsx").endswith(datetime.now(UTC).date().isoformat() + ".xlsx")


@pytest.mark.parametrize("name, expected", [
    ('A/B\\C:D*E?F"G<H>I|J', "A B C D E F G H I J"),
    ("Evil\x1b[31mRed\x00\n", "Evil [31mRed"),
    ("...hidden. ", "hidden"),
    ("CON", "_CON"),
    ("Ünïcødé Straße", "Ünïcødé Straße"),
    ("x" * 300, "x" * 100),
])
def test_names_lose_what_windows_and_macos_refuse(name: str, expected: str) -> None:
    assert safe_part(name) == expected
    built = download_name("Licenses", name, "xlsx", on=date(2026, 1, 1))
    assert not set('/\\:*?"<>|') & set(built) and all(ord(c) >= 32 for c in built)
