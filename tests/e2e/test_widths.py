"""In a real browser, at 1024×768 and at 1400×1000: nothing on the Global, Organization, Sync and
Settings pages is cut off (issue 11).

Measured in the DOM: a button, label, card (``stMetric``) or caption whose text is wider than a
box that clips it (``overflow: hidden/clip``), or whose ``text-overflow: ellipsis`` is active.
Tables are drawn on a canvas and cannot be measured so: screenshots of every page and width are
saved in the test's tmp folder to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

VIEWPORTS = {"1024x768": (1024, 768), "1400x1000": (1400, 1000)}
SETTINGS_SECTIONS = ["Tenants", "Sync settings", "Free SKUs", "Prices", "Alerts", "Disconnect",
                     "Users & groups", "Audit log"]

#: Every visible element that shows words, in the kinds the issue names; what is inside a data
#: grid (a canvas) or a closed expander is left out.
_CUT_OFF_JS = """
() => {
  const selector = [
    'button', 'button *', 'label', 'label *', '[data-testid="stMetric"]', '[data-testid="stMetric"] *',
    '[data-testid="stCaptionContainer"]', '[data-testid="stCaptionContainer"] *',
    '[data-testid="stWidgetLabel"] *', '[data-testid="stAlertContentInfo"] *',
    '[data-testid="stExpander"] summary *', '[data-testid="stSidebarNav"] a *',
    '[data-testid="stSidebar"] [data-testid="stMarkdownContainer"] *',
  ].join(',');
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('[data-testid="stDataFrame"]') || el.closest('[data-testid="stDataFrameResizable"]')) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || !el.checkVisibility()) continue;
    const text = (el.innerText || '').trim();
    if (!text) continue;
    const style = getComputedStyle(el);
    const clips = ['hidden', 'clip'].includes(style.overflowX) || ['hidden', 'clip'].includes(style.overflow);
    const wider = el.scrollWidth > el.clientWidth + 1;
    const ellipsis = style.textOverflow === 'ellipsis' && wider;
    if ((clips && wider) || ellipsis) {
      found.push(`${el.tagName.toLowerCase()}[${el.getAttribute('data-testid') || ''}] "${text.slice(0, 60)}" `
                 + `(${el.scrollWidth} px of text in ${el.clientWidth} px)`);
    }
  }
  return [...new Set(found)];
}
"""


def _prepare(db: Path) -> None:
    """The demo tenants connected and synced once, so that every page shows its numbers."""
    from o365lic import demo
    from o365lic.config import load_settings
    from o365lic.store import Store
    from o365lic.sync import sync_tenants

    previous = os.environ.get("O365LIC_DB")
    os.environ["O365LIC_DB"] = str(db)
    try:
        settings = demo.runtime_settings(load_settings())
        store = Store(db)
        demo.ensure_demo_tenants(store)
        assert all(r.outcome == "ok" for r in sync_tenants(store, settings, trigger="test"))
    finally:
        if previous is None:
            os.environ.pop("O365LIC_DB", None)
        else:
            os.environ["O365LIC_DB"] = previous


@pytest.fixture(scope="module")
def synced_server(streamlit_runner, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with streamlit_runner(tmp_path_factory.mktemp("widths"), _prepare) as server:
        yield server


def _wait_idle(page: Page) -> None:
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(
        1, timeout=90_000)
    page.wait_for_timeout(400)  # fonts and the grid settle


def _open(page: Page, url: str, name: str) -> None:
    page.goto(url + "/")
    _wait_idle(page)
    if name != "Global":
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
        _wait_idle(page)


def _cut_offs(page: Page, shot: Path) -> list[str]:
    page.screenshot(path=str(shot), full_page=True)
    return list(page.evaluate(_CUT_OFF_JS))


@pytest.fixture
def sized_page(browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.mark.parametrize("sized_page", list(VIEWPORTS), indirect=True)
@pytest.mark.parametrize("name", ["Sync", "Settings"])
def test_nothing_is_cut_off_on_sync_and_settings(synced_server, sized_page: Page, name: str,
                                                 tmp_path: Path) -> None:
    _open(sized_page, synced_server.url, name)
    found: dict[str, list[str]] = {}
    if name == "Sync":
        found["Sync"] = _cut_offs(sized_page, tmp_path / "sync.png")
    else:
        for section in SETTINGS_SECTIONS:
            sized_page.locator(".st-key-settings_section").get_by_text(section, exact=True).click()
            _wait_idle(sized_page)
            found[section] = _cut_offs(sized_page, tmp_path / f"settings-{section.replace(' ', '_')}.png")
    assert not {k: v for k, v in found.items() if v}, found


@pytest.mark.parametrize(("name", "sized_page"), [
    ("Global", "1024x768"), ("Global", "1400x1000"),
    ("Organization", "1024x768"), ("Organization", "1400x1000"),
], indirect=["sized_page"])
def test_nothing_is_cut_off_on_global_and_organization(synced_server, sized_page: Page, name: str,
                                                       tmp_path: Path) -> None:
    _open(sized_page, synced_server.url, name)
    found = _cut_offs(sized_page, tmp_path / f"{name.lower()}.png")
    assert not found, found
