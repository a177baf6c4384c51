"""In a real browser: discover the demo tenants, accept a suggested match, sync it, see it on Global.

The database starts with an organization named like a demo tenant but not exactly
("Contoso Ltd") and no connected tenant (the demo is marked as seeded, so the app does not
connect the demo tenants itself). Streamlit's tables are canvas grids: rows are read from the
grid's accessible table and selected by clicking their box at the left of the canvas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from o365lic import reports
from o365lic.store import Store, ensure_organization, list_integrations

SYNC_TIMEOUT_MS = 90_000
#: Row height and header height of Streamlit's data grid, in CSS pixels (its defaults).
ROW_PX = 35
MARKER_X_PX = 18  # the selection boxes' column at the left of the grid


def _prepare(db_path: Path) -> None:
    store = Store(db_path)
    with store.transaction() as con:
        con.execute("INSERT INTO app_state (key, value) VALUES ('demo_seeded', 'yes')")
        ensure_organization(con, "Contoso Ltd")


@pytest.fixture(scope="module")
def matching_server(tmp_path_factory: pytest.TempPathFactory,
                    streamlit_runner: Callable[..., Any]) -> Iterator[Any]:
    with streamlit_runner(tmp_path_factory.mktemp("e2e-matching"), _prepare) as server:
        yield server


def _wait_idle(page: Page) -> None:
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(
        1, timeout=SYNC_TIMEOUT_MS)


def _nav(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    _wait_idle(page)


def _grid(page: Page, key_prefix: str) -> Locator:
    """The data grid whose Streamlit key starts with ``key_prefix``."""
    grid = page.locator(f"[class*='st-key-{key_prefix}'] [data-testid='stDataFrame']")
    expect(grid).to_have_count(1)
    expect(grid).to_be_visible()
    return grid


def _row_texts(grid: Locator, count: int) -> list[list[str]]:
    """The cells of each data row (the grid's accessible table, the header row left out), once
    the grid shows ``count`` rows."""
    rows = grid.locator("[role='row']")
    expect(rows).to_have_count(count + 1)
    return [[" ".join(t.split()) for t in rows.nth(i).locator("[role='gridcell']").all_inner_texts()]
            for i in range(1, count + 1)]


def _expect_row(grid: Locator, *cells: str) -> None:
    """Wait until exactly one row of the grid has all these cells (the grid redraws after a rerun)."""
    row = grid.locator("[role='row']")
    for cell in cells:
        exactly = re.compile(rf"^\s*{re.escape(cell)}\s*$")
        row = row.filter(has=grid.page.locator("[role='gridcell']", has_text=exactly))
    expect(row).to_have_count(1)


def _select_row(grid: Locator, count: int, text: str) -> None:
    """Tick the box of the one row (of ``count``) that has a cell ``text``."""
    rows = _row_texts(grid, count)
    hits = [i for i, row in enumerate(rows) if text in row]
    assert len(hits) == 1, rows
    grid.click(position={"x": MARKER_X_PX, "y": ROW_PX + ROW_PX * hits[0] + ROW_PX // 2})


def test_discover_accept_suggested_match_sync_and_global(matching_server: Any, page: Page) -> None:
    store = Store(matching_server.db_path)
    page.goto(matching_server.url + "/")
    expect(page.get_by_text("No licenses have been synced yet")).to_be_visible(timeout=60_000)
    assert list_integrations(store) == []

    # Settings -> Discover tenants: the six demo tenants, Contoso with the suggestion "Contoso Ltd"
    _nav(page, "Settings")
    page.get_by_role("button", name="Discover tenants").click()
    expect(page.get_by_text("Discovered 6 customer tenants: 6 new unmatched")).to_be_visible()
    _wait_idle(page)
    filters = page.get_by_role("radiogroup", name="Show")
    expect(filters.get_by_text("Unmatched", exact=True)).to_be_visible()
    expect(filters.get_by_role("radio", name="Unmatched")).to_be_checked()
    grid = _grid(page, "match_table_unmatched_")
    rows = _row_texts(grid, 6)
    contoso = [row for row in rows if "Contoso" in row]
    assert len(contoso) == 1 and "Contoso Ltd" in contoso[0], rows  # the suggested organization
    _expect_row(grid, "Contoso", "Contoso Ltd", "same name")

    # select Contoso -> Accept Suggested Match -> it is listed under Matched
    accept = page.locator(".st-key-accept_suggested_match_unmatched").get_by_role(
        "button", name="Accept Suggested Match")
    expect(accept).to_be_disabled()
    _select_row(grid, 6, "Contoso Ltd")
    expect(page.get_by_text("1 tenant selected: Contoso")).to_be_visible()
    _wait_idle(page)
    expect(accept).to_be_enabled()
    accept.click()
    expect(page.get_by_text("Accept Suggested Match: 1 tenant matched to the suggested organization "
                            "(Contoso).")).to_be_visible()
    _wait_idle(page)
    assert [(i.tenant_name, i.match_state, i.organization) for i in list_integrations(store, "matched")] == [
        ("Contoso", "matched", "Contoso Ltd")]
    assert "Contoso" not in [row[0] for row in _row_texts(_grid(page, "match_table_unmatched_"), 5)]
    filters.get_by_text("Matched", exact=True).click()
    _wait_idle(page)
    matched = _grid(page, "match_table_matched_")
    _row_texts(matched, 1)
    _expect_row(matched, "Contoso", "Contoso Ltd")

    # Sync -> Start Manual Sync: only the matched tenant syncs, and its row shows OK
    _nav(page, "Sync")
    expect(page.get_by_text("1 Never synced", exact=True)).to_be_visible()
    page.get_by_role("button", name="Start Manual Sync").click()
    expect(page.get_by_text("Sync finished: 1 of 1 tenants OK")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    expect(page.get_by_text("1 OK", exact=True)).to_be_visible()
    _wait_idle(page)
    integrations = page.get_by_test_id("stDataFrame").first
    _row_texts(integrations, 1)
    _expect_row(integrations, "Contoso Ltd", "OK")

    # Global: the licenses of "Contoso Ltd"
    _nav(page, "Global")
    totals = reports.totals(store)
    assert totals["organizations"] == 1 and reports.organization_names(store) == ["Contoso Ltd"]
    expect(page.get_by_text(re.compile(rf"^{totals['licenses']} paid licenses? in 1 organization\b"))).to_be_visible()
    _wait_idle(page)
    table = _row_texts(page.locator(".st-key-global_licenses").get_by_test_id("stDataFrame"), int(totals["licenses"]))
    assert {row[0] for row in table} == {"Contoso Ltd"}, table
