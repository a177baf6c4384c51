"""In a real browser: the Excel workbook next to the license table of Global and of Organization
(issue 11) opens again with openpyxl with numbers as numbers, dates as dates and the header row
frozen, one sheet named after the table, and a file name with the organization and the date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from o365lic.store import Store
from tests.e2e.test_widths import _open, _prepare

TITLE = "Office 365 Licenses"
FIGURES = ("Active", "Consumed", "Unused", "Over-assigned")


@pytest.fixture(scope="module")
def synced_server(streamlit_runner, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with streamlit_runner(tmp_path_factory.mktemp("downloads"), _prepare) as server:
        yield server


def _workbook(page: Page, key: str, tmp_path: Path) -> tuple[str, openpyxl.Workbook]:
    """Press the "Download Excel" button ``key`` and open what the browser saved."""
    button = page.locator(f".st-key-{key}_xlsx").get_by_role("button")
    expect(button).to_contain_text("Download Excel")
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    target = tmp_path / "download.xlsx"
    download.save_as(target)
    return download.suggested_filename, openpyxl.load_workbook(target)


def _check_sheet(book: openpyxl.Workbook, rows_expected: int) -> list[str]:
    """The licenses sheet: frozen header, figures as numbers, Last Synced as dates; its organizations."""
    assert book.sheetnames == [TITLE]
    sheet = book[TITLE]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == rows_expected > 0
    column = {name: i for i, name in enumerate(header)}
    for row in rows:
        for name in FIGURES:
            cell = row[column[name]]
            assert cell.data_type == "n" and isinstance(cell.value, int), (name, cell.value)
        synced = row[column["Last Synced (UTC)"]]
        assert synced.is_date and isinstance(synced.value, datetime), synced.value
        assert row[column["Organization"]].data_type == "s"
    return [str(row[column["Organization"]].value) for row in rows]


def test_global_and_organization_excel_reopen_with_numbers_and_dates(synced_server, page: Page,
                                                                      tmp_path: Path) -> None:
    from o365lic import reports

    store = Store(synced_server.db_path)
    today = date.today().isoformat()
    _open(page, synced_server.url, "Global")
    name, book = _workbook(page, "global_download", tmp_path)
    assert name == f"{TITLE} - {today}.xlsx"
    paid = reports.licenses(store)
    organizations = _check_sheet(book, len(paid))
    assert set(organizations) == set(reports.organization_names(store))

    _open(page, synced_server.url, "Organization")
    chosen = reports.organization_names(store)[0]
    expect(page.get_by_test_id("stSelectbox").locator("input")).to_have_value(chosen)
    name, book = _workbook(page, "organization_download", tmp_path)
    assert name == f"{TITLE} - {chosen} - {today}.xlsx"
    assert set(_check_sheet(book, len(reports.licenses(store, organizations=[chosen])))) == {chosen}
