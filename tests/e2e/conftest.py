"""End-to-end fixtures: `streamlit run app.py` in demo mode on a fresh database, and Chromium.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run); when it is missing the tests
fail loudly rather than skip. On a failure the page is saved as a screenshot under
``test-results/`` at the repository root (git-ignored) and in the test's tmp_path.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RESULTS = REPO / "test-results"
STARTUP_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode} before it was healthy:\n"
                        f"{log.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit was not healthy at {url} within {STARTUP_TIMEOUT_S:.0f} s:\n"
                f"{log.read_text(errors='replace')[-4000:]}")


class StreamlitServer:
    """A running `streamlit run app.py`: its URL, database and log."""

    def __init__(self, url: str, db_path: Path, log: Path) -> None:
        self.url = url
        self.db_path = db_path
        self.log = log


@contextmanager
def run_streamlit(folder: Path, prepare: Callable[[Path], None] | None = None) -> Iterator[StreamlitServer]:
    """``streamlit run app.py`` in demo mode on a database in ``folder`` (``prepare(db_path)``
    sets it up first, e.g. with organizations to match), on a free loopback port; killed afterwards."""
    db_path = folder / "o365lic.duckdb"
    log = folder / "streamlit.log"
    if prepare is not None:
        prepare(db_path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("O365LIC_") and not k.startswith("STREAMLIT_")}
    env["O365LIC_DB"] = str(db_path)
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(f"{url}/_stcore/health", process, log)
        yield StreamlitServer(url, db_path, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def streamlit_runner() -> Callable[..., Any]:
    """:func:`run_streamlit`, for a test module that prepares its own database."""
    return run_streamlit


@pytest.fixture(scope="module")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """The app in demo mode on a fresh database, on a free loopback port; killed afterwards."""
    with run_streamlit(tmp_path_factory.mktemp("e2e")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (fails, never skips, when it is missing)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
                    "the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A fresh browser page; a screenshot of it is saved when the test fails."""
    context = browser.new_context(viewport={"width": 1440, "height": 1100},  # type: ignore[attr-defined]
                                  accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            RESULTS.mkdir(exist_ok=True)
            for target in (tmp_path / "failure.png", RESULTS / f"{request.node.name}.png"):
                try:
                    tab.screenshot(path=str(target), full_page=True)
                except Exception as exc:  # noqa: BLE001 - a screenshot must not hide the failure
                    print(f"could not save a screenshot to {target}: {exc}", file=sys.stderr)
            print(f"failure screenshot: {RESULTS / (request.node.name + '.png')}", file=sys.stderr)
        context.close()
