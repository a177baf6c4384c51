"""Benchmark (run from the repository root): each page's time in a real browser, on generated
databases of many tenants. Run by hand, not part of the tests:

    python -m bench.bench_pages --tenants 100 3000 --repeat 3

For each size it writes a database in a temporary folder through the store API (connect a
tenant, start a run, stage its users, land its licenses: no Graph, no sync), starts
``streamlit run app.py`` on it (demo tenants off: the database is marked as seeded) and, in
Debian's Chromium, opens every page (Settings on each of its sections) and measures the time
from navigation until the app is idle (Streamlit's script state ``notRunning`` and no spinner).
Prints one line per page and size, the median of ``--repeat`` loads, and the ratio of the
largest size to the smallest. Results are written down in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from o365lic.licenses import license_record
from o365lic.store import (
    Store,
    TenantInfo,
    UserRecord,
    add_integration,
    apply_tenant_sync,
    stage_users,
    start_run,
)

#: Per tenant: (skuPartNumber, prepaid units, consumed units) of its subscribedSkus.
SKUS = (("SPE_E3", 40, 35), ("EXCHANGESTANDARD", 20, 12), ("FLOW_FREE", 10_000, 3))
USERS_PER_TENANT = 5
PAGES = ("Global", "Organization", "Sync", "Settings")
SETTINGS_SECTIONS = ("Sync settings", "Disconnect", "Users & groups")


def generate(db_path: Path, tenants: int) -> None:
    """A database of ``tenants`` synced-looking tenants, written through the store API."""
    store = Store(db_path)
    with store.transaction() as con:
        con.execute("INSERT INTO app_state (key, value) VALUES ('demo_seeded', 'yes')")
    sku_ids = {part: str(uuid.uuid5(uuid.NAMESPACE_DNS, part)) for part, _, _ in SKUS}
    with store.hold():
        for n in range(tenants):
            tenant_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-tenant-{n}"))
            name = f"Customer {n:05d}"
            integration = add_integration(store, tenant_id, name, tenant_name=name,
                                          default_domain=f"customer{n:05d}.onmicrosoft.com")
            run_id = start_run(store, integration.id, tenant_id, trigger="bench")
            stage_users(store, run_id, [
                UserRecord(user_id=f"{n}-{u}", user_principal_name=f"user{u}@customer{n:05d}.example",
                           display_name=f"User {u}", given_name=None, surname=None,
                           mail=f"user{u}@customer{n:05d}.example", account_enabled=True,
                           sku_ids=(sku_ids["SPE_E3"],))
                for u in range(USERS_PER_TENANT)])
            licenses = [license_record({"skuId": sku_ids[part], "skuPartNumber": part,
                                        "capabilityStatus": "Enabled", "prepaidUnits": {"enabled": prepaid},
                                        "consumedUnits": consumed}, product_names={})
                        for part, prepaid, consumed in SKUS]
            apply_tenant_sync(store, run_id=run_id, integration_id=integration.id,
                              tenant=TenantInfo(tenant_id, name, f"customer{n:05d}.onmicrosoft.com"),
                              licenses=licenses, subscriptions=[], users=USERS_PER_TENANT, requests=0,
                              retries=0)


def _idle(page, timeout_ms: int = 600_000) -> None:
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(
        1, timeout=timeout_ms)
    expect(page.get_by_test_id("stSpinner")).to_have_count(0, timeout=timeout_ms)


def _timed(action: Callable[[], None], page) -> float:
    start = time.perf_counter()
    action()
    page.wait_for_timeout(150)  # let the rerun begin before waiting for it to end
    _idle(page)
    return time.perf_counter() - start - 0.15


def measure(url: str, repeat: int) -> dict[str, float]:
    """Median seconds until idle of each page (and Settings section)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    times: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 1100}).new_page()
            page.goto(url + "/")
            _idle(page)  # warm: the first run starts the app
            nav = page.get_by_test_id("stSidebarNav")
            for _ in range(repeat):
                for name in PAGES:
                    link = nav.get_by_role("link", name=name, exact=True)
                    times.setdefault(name, []).append(_timed(link.click, page))
                for section in SETTINGS_SECTIONS:
                    button = page.locator(".st-key-settings_section").get_by_text(section, exact=True)
                    times.setdefault(f"Settings: {section}", []).append(_timed(button.click, page))
        finally:
            browser.close()
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[100, 3000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from tests.e2e.conftest import run_streamlit

    results: dict[int, dict[str, float]] = {}
    for size in args.tenants:
        with tempfile.TemporaryDirectory(prefix=f"o365lic-bench-pages-{size}-") as folder:
            started = time.perf_counter()
            generate(Path(folder) / "o365lic.duckdb", size)
            print(f"{size} tenants: database generated in {time.perf_counter() - started:.1f} s", flush=True)
            with run_streamlit(Path(folder)) as server:
                results[size] = measure(server.url, args.repeat)
        for name, seconds in results[size].items():
            print(f"{size:>6} tenants  {name:<28} {seconds:6.2f} s", flush=True)
    if len(results) > 1:
        small, large = min(results), max(results)
        print(f"ratio {large} / {small} tenants (target: at most 2x):")
        for name in results[small]:
            print(f"  {name:<28} {results[large][name] / max(results[small][name], 1e-3):5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
