"""Benchmark (run from the repository root): each page's time in a real browser, on generated
databases of many tenants, and the first load of the app. Run by hand, not part of the tests:

    python -m bench.bench_pages --tenants 100 3000 --repeat 3

For each size it writes a database in a temporary folder through the sync's write path (the
tenants connected in one statement, then landed with :func:`o365lic.store.land_group` in groups
of :data:`GROUP`, as a sync lands them: no Graph). First loads: a fresh ``streamlit run
app.py`` on it (demo tenants off: the database is marked as seeded) and, in Debian's Chromium,
the time from opening the URL in a new browser context until the app is idle, cold (the
server's first script run: imports, demo start-up, first reads) and warm (a second visit, a new
session), median of ``--repeat`` servers; the same for a one-line Streamlit app as the floor.
Pages: one server per size; every page (Settings on each of its sections) opened by a click and
timed until the app is idle: the server has reported the script run that the click started
finished (:class:`RunWatch`), and the page shows it (script state ``notRunning``, no spinner).
Prints one line per page and size, the median of ``--repeat`` loads (and of the CPU seconds the
server and the browser spent on each: steadier than wall time on a shared machine), and the
ratio of the largest size to the smallest. Results are written down in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from o365lic.licenses import license_record
from o365lic.store import Store, TenantBatch, TenantInfo, land_group, start_runs
from o365lic.store.landing import USER_COLUMNS

#: Per tenant: (skuPartNumber, prepaid units, consumed units) of its subscribedSkus.
SKUS = (("SPE_E3", 40, 35), ("EXCHANGESTANDARD", 20, 12), ("FLOW_FREE", 10_000, 3))
USERS_PER_TENANT = 5
#: Tenants landed per group commit, as the sync does.
GROUP = 50
PAGES = ("Global", "Organization", "Sync", "Settings")
SETTINGS_SECTIONS = ("Sync settings", "Disconnect", "Users & groups")


def _connect(store: Store, tenants: int) -> list[tuple[int, str]]:
    """Connect ``tenants`` tenants, each matched to its own organization, in one transaction."""
    with store.transaction() as con:
        con.execute("INSERT INTO app_state (key, value) VALUES ('demo_seeded', 'yes')")
        con.execute("INSERT INTO organizations (id, name) SELECT range + 1, printf('Customer %05d', range) "
                    "FROM range(?)", [tenants])
        con.execute(
            "INSERT INTO integrations (id, tenant_id, tenant_name, default_domain, organization_id) "
            "SELECT range + 1, uuid()::VARCHAR, printf('Customer %05d', range), "
            "printf('customer%05d.onmicrosoft.com', range), range + 1 FROM range(?)", [tenants])
        con.execute("SELECT setval('integrations_id_seq', ?)", [tenants]).fetchall()
        con.execute("SELECT setval('organizations_id_seq', ?)", [tenants]).fetchall()
        rows = con.execute("SELECT id, tenant_id FROM integrations ORDER BY id").fetchall()
    return [(int(i), str(t)) for i, t in rows]


def _batch(run_id: int, integration_id: int, tenant_id: str, sku_ids: dict[str, str]) -> TenantBatch:
    """One tenant's sync as the sync hands it to the write path: its licenses and users."""
    n = integration_id - 1
    name, domain = f"Customer {n:05d}", f"customer{n:05d}.onmicrosoft.com"
    ids = [f"{n}-{u}" for u in range(USERS_PER_TENANT)]
    mails = [f"user{u}@customer{n:05d}.example" for u in range(USERS_PER_TENANT)]
    users = {"user_id": ids, "user_principal_name": mails, "display_name": [f"User {u}" for u in range(len(ids))],
             "given_name": [None] * len(ids), "surname": [None] * len(ids), "mail": mails,
             "proxy_addresses": [[] for _ in ids], "account_enabled": [True] * len(ids)}
    assert set(users) == set(USER_COLUMNS)
    licenses = [license_record({"skuId": sku_ids[part], "skuPartNumber": part, "capabilityStatus": "Enabled",
                                "prepaidUnits": {"enabled": prepaid}, "consumedUnits": consumed},
                               product_names={})
                for part, prepaid, consumed in SKUS]
    return TenantBatch(run_id, integration_id, TenantInfo(tenant_id, name, domain), licenses, [], users,
                       (ids, [sku_ids["SPE_E3"]] * len(ids)))


def generate(db_path: Path, tenants: int) -> None:
    """A database of ``tenants`` synced-looking tenants: connected in one statement, then landed
    through the sync's write path (:func:`o365lic.store.land_group`, groups of :data:`GROUP`)."""
    store = Store(db_path)
    sku_ids = {part: str(uuid.uuid5(uuid.NAMESPACE_DNS, part)) for part, _, _ in SKUS}
    connected = _connect(store, tenants)
    runs = start_runs(store, connected, trigger="bench")
    for start in range(0, len(connected), GROUP):
        group = [_batch(runs[i], i, t, sku_ids) for i, t in connected[start:start + GROUP]]
        failed = land_group(store, group)
        assert not failed, failed


_TICK = os.sysconf("SC_CLK_TCK")


def _descendant_cpu() -> float:
    """CPU seconds (user + system) so far of this process's descendants: the Streamlit server and
    the browser with its renderers (Linux ``/proc``). The load of other programs on the machine
    changes wall times much more than these, so they back the wall times up on a shared machine."""
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        parents[int(entry)] = int(fields[1])
        seconds[int(entry)] = (int(fields[11]) + int(fields[12])) / _TICK
    mine, grown = {os.getpid()}, True
    while grown:
        found = {pid for pid, parent in parents.items() if parent in mine} - mine
        mine |= found
        grown = bool(found)
    return sum(seconds.get(pid, 0.0) for pid in mine - {os.getpid()})


def _idle(page, timeout_ms: int = 600_000) -> None:
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(
        1, timeout=timeout_ms)
    expect(page.get_by_test_id("stSpinner")).to_have_count(0, timeout=timeout_ms)


class RunWatch:
    """Counts the script runs that the server reports finished to one page (the ``script_finished``
    messages on its WebSocket; a run cut short by a newer one does not count), so that a timing
    waits for the run its action started. The page's script state cannot tell: a run that starts
    and ends between two renders never changes it, and a run that has not started yet looks idle."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.page, self.ended = page, 0
        self._early = ForwardMsg.FINISHED_EARLY_FOR_RERUN
        self._message = ForwardMsg
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            message = self._message.FromString(payload)
            if message.WhichOneof("type") == "script_finished" and message.script_finished != self._early:
                self.ended += 1

    def timed(self, action: Callable[[], None], timeout_ms: int = 600_000) -> float:
        """Seconds from ``action`` until the run it started has finished and the page shows it
        (script state ``notRunning``, no spinner)."""
        ended = self.ended
        start = time.perf_counter()
        action()
        while self.ended <= ended:
            if time.perf_counter() - start > timeout_ms / 1000:
                raise TimeoutError(f"no script run finished within {timeout_ms / 1000:.0f} s of the action")
            self.page.wait_for_timeout(20)  # lets Playwright deliver the messages
        _idle(self.page, timeout_ms)
        return time.perf_counter() - start


def measure(url: str, repeat: int) -> dict[str, float]:
    """Median seconds until idle of each page (and Settings section), and (``"{page}, CPU"``) the
    median CPU seconds the server and the browser spent on it."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    times: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1440, "height": 1100}).new_page()
            runs = RunWatch(page)
            runs.timed(lambda: page.goto(url + "/"))  # warm: the first run starts the app
            nav = page.get_by_test_id("stSidebarNav")
            def timed(name: str, action: Callable[[], None]) -> None:
                cpu = _descendant_cpu()
                times.setdefault(name, []).append(runs.timed(action))
                times.setdefault(f"{name}, CPU", []).append(_descendant_cpu() - cpu)

            for _ in range(repeat):
                for name in PAGES:
                    timed(name, nav.get_by_role("link", name=name, exact=True).click)
                for section in SETTINGS_SECTIONS:
                    timed(f"Settings: {section}",
                          page.locator(".st-key-settings_section").get_by_text(section, exact=True).click)
        finally:
            browser.close()
    return {name: statistics.median(values) for name, values in times.items()}


EMPTY_APP = 'import streamlit as st\n\nst.title("Hello")\n'


@contextmanager
def _serve_script(folder: Path, script: Path) -> Iterator[str]:
    """``streamlit run script`` (the bare floor: no o365lic) on a free loopback port; killed afterwards."""
    from tests.e2e.conftest import _free_port, _wait_healthy

    port = _free_port()
    log = folder / "streamlit.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("O365LIC_", "STREAMLIT_"))}
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
               "false", "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(f"{url}/_stcore/health", process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _visit(browser, url: str) -> float:
    """Seconds from opening ``url`` in a fresh browser context (no cache, a new session) until idle."""
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    try:
        page = context.new_page()
        return RunWatch(page).timed(lambda: page.goto(url + "/"))
    finally:
        context.close()


def first_loads(serve: Callable[[], AbstractContextManager[str]], repeat: int) -> dict[str, float]:
    """Median seconds of the first visit to a fresh server (cold: the server's first script run,
    imports and start-up included) and of a second visit in a new session (warm)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    cold: list[float] = []
    warm: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(repeat):
                with serve() as url:
                    cold.append(_visit(browser, url))
                    warm.append(_visit(browser, url))
        finally:
            browser.close()
    return {"first load, cold": statistics.median(cold), "first load, warm": statistics.median(warm)}


def empty_app_loads(repeat: int) -> dict[str, float]:
    """The floor: cold and warm first loads of a one-line Streamlit app."""
    with tempfile.TemporaryDirectory(prefix="o365lic-bench-empty-") as folder:
        script = Path(folder) / "empty_app.py"
        script.write_text(EMPTY_APP, encoding="utf-8")
        return first_loads(lambda: _serve_script(Path(folder), script), repeat)


def _app_url(folder: Path) -> Callable[[], AbstractContextManager[str]]:
    from tests.e2e.conftest import run_streamlit

    @contextmanager
    def serve() -> Iterator[str]:
        with run_streamlit(folder) as server:
            yield server.url
    return serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[100, 3000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pages", action="store_true", help="only the first loads (cold and warm)")
    args = parser.parse_args(argv)

    from tests.e2e.conftest import run_streamlit

    floor = empty_app_loads(args.repeat)
    for name, seconds in floor.items():
        print(f"empty Streamlit app  {name:<28} {seconds:6.2f} s", flush=True)
    results: dict[int, dict[str, float]] = {}
    for size in args.tenants:
        with tempfile.TemporaryDirectory(prefix=f"o365lic-bench-pages-{size}-") as folder:
            started = time.perf_counter()
            generate(Path(folder) / "o365lic.duckdb", size)
            print(f"{size} tenants: database generated in {time.perf_counter() - started:.1f} s", flush=True)
            results[size] = first_loads(_app_url(Path(folder)), args.repeat)
            if not args.skip_pages:
                with run_streamlit(Path(folder)) as server:
                    results[size].update(measure(server.url, args.repeat))
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
