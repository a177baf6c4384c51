"""Shared fixtures: a running Microsoft 365 simulator, settings pointed at it, a fresh DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from o365lic.config import Settings
from o365lic.graph import GraphConnector
from o365lic.simulator import Simulator, start_simulator
from o365lic.store import Store, add_integration

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PRODUCT_NAMES_CSV = SHARED_DATA / "product-names-and-service-plan-identifiers.csv"


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
