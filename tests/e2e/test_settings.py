"""In a real browser: the Settings page's tenants table (one ``st.data_editor`` for every tenant).

Tick a tenant's Paused box in the grid and Save; tick Select on two rows and Pause selected;
search narrows the table. The grid is a canvas: cells are clicked at their column's position
(the columns have fixed widths) and rows are read from the grid's accessible table.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from o365lic.store import Store, list_integrations

SYNC_TIMEOUT_MS = 90_000
ROW_PX = 35  # row and header height of Streamlit's data grid, in CSS pixels
#: The x of each editable column's middle: Select (70 px), Organization (160), Licenses (90), Paused (80).
SELECT_X = 35
PAUSED_X = 70 + 160 + 90 + 40


def _wait_idle(page: Page) -> None:
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(
        1, timeout=SYNC_TIMEOUT_MS)


def _grid(page: Page) -> Locator:
    grid = page.locator("[class*='st-key-tenant_settings_'] [data-testid='stDataFrame']")
    expect(grid).to_have_count(1)
    expect(grid).to_be_visible()
    return grid


def _organizations(grid: Locator, count: int) -> list[str]:
    rows = grid.locator("[role='row']")
    expect(rows).to_have_count(count + 1)
    return [" ".join(rows.nth(i).locator("[role='gridcell']").nth(1).inner_text().split())
            for i in range(1, count + 1)]


def _click(grid: Locator, row: int, x: int) -> None:
    grid.click(position={"x": x, "y": ROW_PX + ROW_PX * row + ROW_PX // 2})
    grid.page.wait_for_timeout(300)  # the grid takes the edit before the next click


def test_tenants_table_save_bulk_pause_and_search(streamlit_server, page: Page) -> None:
    store = Store(streamlit_server.db_path)
    page.goto(streamlit_server.url + "/")
    _wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Settings", exact=True).click()
    _wait_idle(page)
    page.locator(".st-key-settings_section").get_by_text("Sync settings", exact=True).click()
    expect(page.get_by_text("6 tenants of 6")).to_be_visible()
    _wait_idle(page)
    grid = _grid(page)
    organizations = _organizations(grid, 6)
    assert sorted(organizations) == sorted(i.organization for i in list_integrations(store))

    # the Paused box of one row, then Save
    first = organizations[0]
    _click(grid, 0, PAUSED_X)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(f"Saved {first} (Licenses on, every 60 minutes, paused).")).to_be_visible()
    _wait_idle(page)
    assert {i.organization: i.paused for i in list_integrations(store)} == {
        name: name == first for name in organizations}

    # Select two rows, Pause selected
    grid = _grid(page)
    _click(grid, 1, SELECT_X)
    _click(grid, 2, SELECT_X)
    page.get_by_role("button", name="Pause selected").click()
    expect(page.get_by_text(f"2 tenants paused: {organizations[1]}, {organizations[2]}.")).to_be_visible()
    _wait_idle(page)
    assert {i.organization for i in list_integrations(store) if i.paused} == set(organizations[:3])

    # search narrows the table to one tenant
    page.get_by_label("Search tenants").fill(organizations[-1].split()[0].lower())
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"^1 tenant of 6$"))).to_be_visible()
    _wait_idle(page)
    assert _organizations(_grid(page), 1) == [organizations[-1]]
