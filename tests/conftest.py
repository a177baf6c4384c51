"""Shared fixtures: a running Microsoft 365 simulator, settings pointed at it, a fresh DuckDB.

Also the suite's markers (registered in pyproject.toml), applied here at collection:
``browser`` on every test under ``tests/e2e/``, ``slow`` on the tests listed in
:data:`SLOW_TESTS`, and ``microsoft_names`` on the tests that read Microsoft's whole
product-names file; those are skipped, with the reason, when the file is not beside the
repository (a fresh clone has only :data:`SAMPLE_PRODUCT_NAMES_CSV`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from o365lic.config import Settings
from o365lic.graph import GraphConnector
from o365lic.simulator import Simulator, start_simulator
from o365lic.store import Store, add_integration
from o365lic.sync import sync_tenants

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
E2E = TESTS / "e2e"

#: Microsoft's whole "Product names and service plan identifiers for licensing" file, kept
#: outside the repository (``../shared/data/``); may be missing.
SHARED_DATA = REPO.parent / "shared" / "data"
PRODUCT_NAMES_CSV = SHARED_DATA / "product-names-and-service-plan-identifiers.csv"
HAVE_MICROSOFT_NAMES = PRODUCT_NAMES_CSV.is_file()
MICROSOFT_NAMES_MISSING = (
    f"needs Microsoft's whole product-names file at {PRODUCT_NAMES_CSV}, which is not beside this "
    "repository; tests/data/product-names-sample.csv covers the rest"
)

#: The team's small file in Microsoft's exact format (UTF-8 BOM, CRLF, Microsoft's header, a
#: quoted name with a comma, non-breaking and trailing spaces): every SKU of the simulator's
#: catalog and of licenses.BUILTIN_PRODUCT_NAMES, three service-plan rows at most each.
SAMPLE_PRODUCT_NAMES_CSV = TESTS / "data" / "product-names-sample.csv"

#: Tests that need Microsoft's whole file and are not marked ``microsoft_names`` in their own
#: module (their owners may mark them and drop them from here).
MICROSOFT_NAMES_TESTS = frozenset({
    "tests/test_licenses.py::test_parse_microsofts_product_names_file",
})

#: Non-browser tests over ~10 s (``--durations=30``, 2 shared cores); ``-m "not slow"`` skips them.
SLOW_TESTS: frozenset[str] = frozenset()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark browser, slow and Microsoft-file tests; skip the last when the file is missing."""
    skip_names = pytest.mark.skip(reason=MICROSOFT_NAMES_MISSING)
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.browser)
        test_id = item.nodeid.split("[", 1)[0]
        if test_id in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
        if test_id in MICROSOFT_NAMES_TESTS:
            item.add_marker(pytest.mark.microsoft_names)
        if not HAVE_MICROSOFT_NAMES and item.get_closest_marker("microsoft_names") is not None:
            item.add_marker(skip_names)


def settings_for(sim: Simulator, db_path: Path, concurrency: int = 4) -> Settings:
    """Settings that point the app at ``sim`` and keep the database at ``db_path``."""
    return Settings(db_path=db_path, concurrency=concurrency).with_simulator(
        authority_host=sim.authority_host, graph_url=sim.graph_url, ca_bundle=sim.ca_file,
        client_id=sim.client_id, client_secret=sim.client_secret,
        partner_tenant=sim.partner_tenant_id, product_names_url=sim.product_names_url,
    )


@pytest.fixture(scope="session")
def simulator() -> Iterator[Simulator]:
    """One simulator for the session (4 generated tenants); do not mutate its tenants."""
    with start_simulator(tenants=4, seed=7) as sim:
        yield sim


@pytest.fixture
def sim(simulator: Simulator) -> Iterator[Simulator]:
    """The session simulator, with its faults cleared after the test."""
    yield simulator
    simulator.clear_faults()


@pytest.fixture
def own_simulator() -> Iterator[Simulator]:
    """A simulator of the test's own, free to mutate (3 tenants)."""
    with start_simulator(tenants=3, seed=11) as sim:
        yield sim


@pytest.fixture(scope="session")
def synced_template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session folder where page_helpers.synced keeps the demo database it synced once."""
    return tmp_path_factory.mktemp("synced-demo")


@pytest.fixture(scope="session")
def synced_simulator_db(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with every tenant of the session simulator connected (:func:`connect_all`) and
    synced once, built once per test process; :func:`copy_synced` gives a test its own copy."""
    path = tmp_path_factory.mktemp("synced-simulator") / "o365lic.duckdb"
    store = Store(path)
    connect_all(store, simulator)
    results = sync_tenants(store, settings_for(simulator, path))
    assert [r.outcome for r in results] == ["ok"] * len(simulator.tenants), [r.line() for r in results]
    assert not path.with_name(path.name + ".wal").exists(), "the sync left its file checkpointed"
    return path


def copy_synced(synced_simulator_db: Path, db_path: Path) -> Store:
    """``db_path`` (not used yet) as the session simulator's tenants connected and synced once:
    a copy of :func:`synced_simulator_db`, the rows a sync of its own would land."""
    assert not db_path.exists(), "copy_synced needs a database not used yet"
    shutil.copyfile(synced_simulator_db, db_path)
    return Store(db_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "o365lic.duckdb"


@pytest.fixture
def store(db_path: Path) -> Store:
    """A fresh, empty database file."""
    return Store(db_path)


def connect_all(store: Store, sim: Simulator) -> None:
    """Connect every tenant of ``sim``, matched to an organization named like the tenant."""
    for tenant in sim.tenants.values():
        add_integration(store, tenant.tenant_id, tenant.display_name)


def fast_connector(settings: Settings) -> GraphConnector:
    """A connector with short waits, for tests of retries."""
    return GraphConnector(settings, backoff_base=0.01, timeout=(2.0, 1.5))
