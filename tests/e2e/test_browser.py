"""In a real browser: fresh database -> Sync -> Global -> filter one organization -> CSV.

It takes a screenshot of the Global page in the test's temporary folder (never in the repository:
the README's screenshot is made by ``python -m tests.e2e.screenshot``).
Streamlit's tables are canvas grids, so the checks read text Streamlit renders as HTML:
metrics, captions, the sync status box and the multiselect's options.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from playwright.sync_api import Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from o365lic import reports
from o365lic.export import CSV_HEADER
from o365lic.store import Store

HEADER_LINE = "Organization,Tenant ID,License,SKU,Status,Active,Consumed,Unused,Last Synced"
SYNC_TIMEOUT_MS = 90_000


def _wait_idle(page: Page) -> None:
    """Wait until the script run has finished (call it after a change the rerun shows)."""
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(
        1, timeout=SYNC_TIMEOUT_MS)


def _metrics(page: Page) -> list[str]:
    """The five headline cards (Active, Consumed, Unused, Over-assigned, Utilisation); the cost
    cards follow them."""
    values = page.get_by_test_id("stMetricValue")
    expect(values.nth(4)).to_be_visible()
    return [text.strip() for text in values.all_inner_texts()[:5]]


def _expected_metrics(totals: dict[str, float]) -> list[str]:
    return [f"{int(totals['active']):,}", f"{int(totals['consumed']):,}", f"{int(totals['unused']):,}",
            f"{int(totals['over_assigned']):,}", f"{totals['utilisation'] * 100:.1f}%"]


def _messages_received(page: Page) -> list[bytes]:
    """Every WebSocket message the page receives from now on (call before ``goto``)."""
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.append(payload) if isinstance(payload, bytes) else None))
    return frames


def test_sync_then_filter_and_download_csv(streamlit_server, page: Page, tmp_path: Path) -> None:
    assert tuple(HEADER_LINE.split(",")) == CSV_HEADER
    frames = _messages_received(page)
    readme_screenshot = Path(__file__).resolve().parents[2] / "docs" / "global.png"
    before = readme_screenshot.read_bytes() if readme_screenshot.exists() else None

    # A fresh database: the Global page points to the Sync page, in demo mode.
    page.goto(streamlit_server.url + "/")
    expect(page.get_by_text("No licenses have been synced yet")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Demo mode:")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_contain_text("Global")

    # Sync: six demo tenants never synced; Start Manual Sync turns them OK.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Sync", exact=True).click()
    expect(page.get_by_text("6 Never synced", exact=True)).to_be_visible()
    page.get_by_role("button", name="Start Manual Sync").click()
    expect(page.get_by_text("Sync finished: 6 of 6 tenants OK")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    expect(page.get_by_text("6 OK", exact=True)).to_be_visible()
    _wait_idle(page)

    store = Store(streamlit_server.db_path)
    organizations = reports.organization_names(store)
    assert len(organizations) == 6
    for name in organizations:  # one OK line per tenant in the status box, in plain words
        expect(page.get_by_text(re.compile(rf"^OK: {re.escape(name)} — \d+ licenses?, \d+ users?"))).to_be_visible()

    # Global: every organization, metrics as the store sums them, the chart; screenshot for the README.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Global", exact=True).click()
    expect(page.get_by_text("in 6 organizations")).to_be_visible()
    _wait_idle(page)
    assert _metrics(page) == _expected_metrics(reports.totals(store))
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    expect(page.locator(".st-key-global_download_csv").get_by_role("button")).to_be_visible()
    page.wait_for_timeout(1_000)  # let the chart and the grid finish drawing
    screenshot = tmp_path / "global.png"
    page.screenshot(path=str(screenshot))
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    after = readme_screenshot.read_bytes() if readme_screenshot.exists() else None
    assert after == before  # the README's screenshot is made by python -m tests.e2e.screenshot only

    # The Organization multiselect lists every organization; choose one.
    chosen = organizations[1]
    multiselect = page.get_by_test_id("stMultiSelect")
    multiselect.click()
    options = page.get_by_role("option")
    expect(options.filter(has_text=organizations[-1])).to_be_visible()
    listed = [t.strip() for t in options.all_inner_texts() if t.strip() != "Select all"]
    assert listed == organizations
    options.filter(has_text=re.compile(rf"^{re.escape(chosen)}$")).click()
    page.keyboard.press("Escape")
    licenses = reports.licenses(store, organizations=[chosen])
    expect(page.get_by_text(re.compile(rf"^{len(licenses)} paid licenses? in 1 organization\b"))).to_be_visible()
    _wait_idle(page)  # the download button below the caption carries the filtered CSV only then
    assert _metrics(page) == _expected_metrics(reports.totals(store, organizations=[chosen]))

    # Download CSV: exactly that organization's licenses.
    with page.expect_download() as download_info:
        page.locator(".st-key-global_download_csv").get_by_role("button").click()
    download = download_info.value
    assert download.suggested_filename == f"Office 365 Licenses - {chosen} - {date.today().isoformat()}.csv"
    text = Path(download.path()).read_bytes().decode("utf-8")
    assert text.splitlines()[0] == HEADER_LINE
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len(rows) == len(licenses) > 0
    assert {row[0] for row in rows} == {chosen}
    assert sorted(row[3] for row in rows) == sorted(licenses["sku_part_number"])

    # Every message came whole, none marked for the browser to keep and be referred to later: a
    # reference to a copy the browser has dropped stops the page ("Cached ForwardMsg MISS").
    messages = [ForwardMsg.FromString(frame) for frame in frames]
    assert max(map(len, frames)) >= 10_000  # large enough that Streamlit would cache it by default
    assert [m.WhichOneof("type") for m in messages if m.metadata.cacheable or m.HasField("ref_hash")] == []
