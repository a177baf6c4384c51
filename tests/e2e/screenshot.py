"""Make the README's screenshot of the Global page after a demo sync.

    python -m tests.e2e.screenshot                 # writes docs/global.png
    python -m tests.e2e.screenshot /tmp/global.png # or anywhere else

It starts ``streamlit run app.py`` in demo mode on a database in a temporary folder, presses
Start Manual Sync in Debian's Chromium (/usr/bin/chromium) and photographs the Global page.
The tests never write into the repository: the browser test takes its screenshot in a temp folder.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, REPO, run_streamlit

__all__ = ["DEFAULT_PATH", "VIEWPORT", "global_page_after_sync", "main"]

DEFAULT_PATH = REPO / "docs" / "global.png"
VIEWPORT = {"width": 1440, "height": 1100}
SYNC_TIMEOUT_MS = 90_000


def wait_idle(page: Page, timeout_ms: int = SYNC_TIMEOUT_MS) -> None:
    """Wait until the script run has finished (call it after a change the rerun shows)."""
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(
        1, timeout=timeout_ms)


def global_page_after_sync(page: Page, url: str, target: Path) -> None:
    """Sync the demo tenants on the Sync page, open Global and save a screenshot at ``target``."""
    page.goto(url + "/")
    expect(page.get_by_text("No licenses have been synced yet")).to_be_visible(timeout=60_000)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Sync", exact=True).click()
    page.get_by_role("button", name="Start Manual Sync").click()
    expect(page.get_by_text("Sync finished: 6 of 6 tenants OK")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Global", exact=True).click()
    expect(page.get_by_text("in 6 organizations")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    page.wait_for_timeout(1_000)  # let the chart and the grid finish drawing
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]).resolve() if args else DEFAULT_PATH
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="o365lic-screenshot-") as folder, \
            run_streamlit(Path(folder)) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            global_page_after_sync(page, server.url, target)
        finally:
            browser.close()
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
