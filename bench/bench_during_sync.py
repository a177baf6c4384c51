"""Benchmark (run from the repository root): the app and ``export`` while a CLI sync runs.
Run by hand, not part of the tests:

    python -m bench.bench_during_sync --tenants 1000 --users 60 --latency-ms 150

The simulator runs in its own process (``python -m o365lic simulate``, as Microsoft would be);
``--tenants`` tenants are connected to a database file and synced once by ``python -m o365lic
sync`` (so the pages have data). Then ``streamlit run app.py`` serves that file and, in Debian's
Chromium, the warm Global page is timed (seconds until the app is idle) repeatedly, and
``python -m o365lic export`` is run, first with no sync and then while a second CLI sync of
every tenant runs (it holds the file only for each group commit); the exports run one after
another next to the page measurements, in both phases. Two Global figures: a click
on Global in the sidebar (the reads cached as a person gets them) and a new search on it (new
filter, so its reads go to the database file). Prints medians, the ratio to no sync, and how
many exports succeeded. Results are written down in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from bench.bench_pages import RunWatch
from bench.bench_sync import external_simulator
from o365lic.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, generate_tenants
from o365lic.store import Store


def _connect(db: Path, tenants: int, users: int, seed: int) -> list[str]:
    """Connect every simulated tenant, each matched to its own organization (one transaction)."""
    found = generate_tenants(tenants, seed, users_per_tenant=users)
    frame = pd.DataFrame({"tenant_id": [t.tenant_id for t in found], "name": [t.display_name for t in found]})
    store = Store(db)
    with store.transaction() as con:
        con.execute("INSERT INTO app_state (key, value) VALUES ('demo_seeded', 'yes')")
        con.register("found", frame)
        con.execute("INSERT INTO organizations (name) SELECT DISTINCT name FROM found")
        con.execute("INSERT INTO integrations (tenant_id, tenant_name, organization_id) "
                    "SELECT f.tenant_id, f.name, o.id FROM found f JOIN organizations o ON o.name = f.name")
        con.unregister("found")
    return [t.display_name for t in found]


def _cli_env(db: Path, host: str, ca_file: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("O365LIC_", "STREAMLIT_"))}
    env.update(O365LIC_DB=str(db), O365LIC_CLIENT_ID=DEMO_CLIENT_ID, O365LIC_CLIENT_SECRET=DEMO_CLIENT_SECRET,
               O365LIC_AUTHORITY_HOST=host, O365LIC_GRAPH_URL=f"{host}/v1.0", O365LIC_CA_BUNDLE=ca_file,
               O365LIC_PRODUCT_NAMES_URL=f"{host}/licensing/product-names.csv")
    return env


def _sync(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "o365lic", "sync"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _export(env: dict[str, str], out: Path) -> tuple[float, bool, str]:
    """Seconds, success and the last line of stderr of one ``python -m o365lic export --out``."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "o365lic", "export", "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=300)
    ok = done.returncode == 0 and out.exists() and out.stat().st_size > 0
    return time.perf_counter() - started, ok, (done.stderr.strip().splitlines() or [""])[-1]


class _Pages:
    """One browser session on the app: the Global page by a sidebar click, and a new search on it."""

    def __init__(self, page, names: list[str]) -> None:
        self.page, self.runs = page, RunWatch(page)
        self.terms = itertools.cycle(sorted({n.split()[0] for n in names}))
        self.nav = page.get_by_test_id("stSidebarNav")

    def global_click(self) -> float:
        self.runs.timed(self.nav.get_by_role("link", name="Settings", exact=True).click)
        return self.runs.timed(self.nav.get_by_role("link", name="Global", exact=True).click)

    def global_search(self) -> float:
        box = self.page.locator(".st-key-global_search input")
        term = next(self.terms)

        def search() -> None:
            box.fill(term)
            box.press("Enter")
        return self.runs.timed(search)


class _Exports(threading.Thread):
    """``python -m o365lic export`` again and again, next to the page measurements, until stopped."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        super().__init__(daemon=True)
        self.env, self.folder = env, folder
        self.results: list[tuple[float, bool, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.results.append(_export(self.env, self.folder / f"export-{len(self.results)}.csv"))


def _phase(pages: _Pages, env: dict[str, str], folder: Path, until: Callable[[int], bool]) -> tuple[
        list[dict[str, float]], list[tuple[float, bool, str]]]:
    """Global measured round after round (exports running alongside) until ``until(rounds)``."""
    exports = _Exports(env, folder)
    exports.start()
    rounds: list[dict[str, float]] = []
    while not until(len(rounds)):
        rounds.append({"click": pages.global_click(), "search": pages.global_search()})
    exports.stop.set()
    exports.join()
    return rounds, exports.results


def _keep_evidence(folder: Path, page: object | None) -> Path:
    """When a run fails, keep what explains it out of the temporary folder (it is removed, and
    the exports still running would leave an empty database in it): the app's and the sync's
    logs, a screenshot and the page's text and script state. Returns where."""
    kept = Path(tempfile.mkdtemp(prefix="o365lic-bench-during-sync-failed-"))
    for name in ("streamlit.log", "sync.log"):
        if (folder / name).is_file():
            shutil.copy2(folder / name, kept / name)
    if page is not None:
        try:
            page.screenshot(path=str(kept / "page.png"))  # type: ignore[attr-defined]
            app = page.locator('[data-testid="stApp"]')  # type: ignore[attr-defined]
            state = app.get_attribute("data-test-script-state") if app.count() else "no stApp element"
            (kept / "page.txt").write_text(f"script state: {state}\n\n{page.inner_text('body')}")  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - the evidence is best effort; the failure is re-raised
            (kept / "page.txt").write_text(f"the page could not be read: {exc}")
    print(f"the run failed: its logs and the page are kept in {kept}", file=sys.stderr, flush=True)
    return kept


def _summary(label: str, rounds: list[dict[str, float]], exports: list[tuple[float, bool, str]]) -> dict[str, float]:
    if not rounds or not exports:
        print(f"{label}: nothing measured (the sync ended first: use more tenants)")
        return {"click": float("nan"), "search": float("nan"), "export": float("nan")}
    medians = {k: statistics.median(r[k] for r in rounds) for k in ("click", "search")}
    medians["export"] = statistics.median(e[0] for e in exports)
    ok = sum(e[1] for e in exports)
    print(f"{label}: {len(rounds)} rounds; Global (sidebar click) median {medians['click']:.2f} s "
          f"(max {max(r['click'] for r in rounds):.2f}); Global (new search) median {medians['search']:.2f} s "
          f"(max {max(r['search'] for r in rounds):.2f}); export {ok}/{len(exports)} succeeded, "
          f"median {medians['export']:.2f} s", flush=True)
    for _, success, error in exports:
        if not success:
            print(f"  export failed: {error}")
    return medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--users", type=int, default=60, help="users per tenant")
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=8, help="rounds of Global measured with no sync")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, run_streamlit

    with tempfile.TemporaryDirectory(prefix="o365lic-bench-during-sync-") as tmp, \
            external_simulator(args.tenants, args.users, args.latency_ms, args.seed) as (host, ca_file):
        folder = Path(tmp)
        db = folder / "o365lic.duckdb"
        (folder / "quiet").mkdir()
        (folder / "busy").mkdir()
        names = _connect(db, args.tenants, args.users, args.seed)
        env = _cli_env(db, host, ca_file)
        started = time.perf_counter()
        first = _sync(env, folder / "sync.log")
        first.wait()
        print(f"first sync of {args.tenants} tenants ({args.users} users, {args.latency_ms} ms): "
              f"{time.perf_counter() - started:.1f} s, exit {first.returncode}", flush=True)
        with run_streamlit(folder) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = None
            try:
                page = browser.new_context(viewport={"width": 1440, "height": 1100}).new_page()
                pages = _Pages(page, names)
                pages.runs.timed(lambda: page.goto(server.url + "/"))
                pages.global_click()  # warm
                quiet = _phase(pages, env, folder / "quiet", lambda n: n >= args.rounds)
                started = time.perf_counter()
                second = _sync(env, folder / "sync.log")
                busy = _phase(pages, env, folder / "busy", lambda n: second.poll() is not None)
                sync_seconds = time.perf_counter() - started
            except BaseException:
                _keep_evidence(folder, page)
                raise
            finally:
                browser.close()
        print(f"second sync (during the measurements): {sync_seconds:.1f} s, exit {second.returncode}")
        base = _summary("no sync", *quiet)
        during = _summary("during the sync", *busy)
        for key, label in (("click", "Global (sidebar click)"), ("search", "Global (new search)"),
                           ("export", "export")):
            print(f"  {label:<24} during / no sync: {during[key] / max(base[key], 1e-3):.2f}x (target: at most 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
