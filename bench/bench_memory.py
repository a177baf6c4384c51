"""Benchmark (run from the repository root): where a sync's memory goes, phase by phase.

    python -m bench.bench_memory --tenants 5000 --users 300
    python -m bench.bench_memory --tenants 5000 --users 300 --duckdb max_vacuum_tasks=0

Syncs ``--tenants`` simulated tenants (the simulator in its own process, 0 ms latency) while a
thread samples this process's resident memory every 5 ms and files each sample under the phase
the writer is in: ``fetch`` (waiting for tenants), ``land`` (a group commit's statements) or
``close`` (closing the file after a commit: DuckDB's checkpoint). Prints the peak of each
phase, the resident memory after every tenth group commit (what the sync keeps between
commits), the largest jumps during a close, and DuckDB's own buffer memory
(``duckdb_memory()``) at the end of the last commits. ``--duckdb NAME=VALUE`` passes a DuckDB
setting to every connection the sync opens (to try one without changing the code). Results
are written down in bench/RESULTS.md ("Memory").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

import o365lic.store.database as database
import o365lic.sync.run as sync_run
from bench.bench_sync import external_simulator
from o365lic.config import Settings
from o365lic.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, generate_tenants
from o365lic.store import Store, add_integration
from o365lic.sync import sync_tenants

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> float:
    """This process's resident memory now, in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE / 2**20


class _Phases:
    """Samples resident memory and files each sample under the phase the writer is in."""

    def __init__(self) -> None:
        self.phase = "fetch"
        self.peaks: dict[str, float] = {}
        self.close_peak = 0.0
        self.closes: list[tuple[float, float]] = []  # (before the close, peak during it)
        self.between: list[float] = []  # after every tenth group commit
        self.buffers: list[float] = []  # duckdb_memory() at the end of each commit
        self.groups = 0
        self._stop = threading.Event()

    def sample(self) -> None:
        while not self._stop.is_set():
            now = _rss()
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), now)
            if self.phase == "close":
                self.close_peak = max(self.close_peak, now)
            time.sleep(0.005)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        thread = threading.Thread(target=self.sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()

    def instrument(self) -> None:
        """Wrap the writer's group commit and the store's close to mark the phases."""
        close, land = database.Store._close, sync_run.land_group

        def closing(store: Store, con: duckdb.DuckDBPyConnection) -> None:
            if self.phase == "land":
                with contextlib.suppress(duckdb.Error):
                    used = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
                    self.buffers.append((used[0] or 0) / 2**20 if used else 0.0)
            before, previous = _rss(), self.phase
            self.phase, self.close_peak = "close", before
            try:
                close(store, con)
            finally:
                self.phase = previous
                if previous == "land":
                    self.closes.append((before, self.close_peak))

        def landing(*args: Any, **kwargs: Any) -> Any:
            self.phase = "land"
            try:
                return land(*args, **kwargs)
            finally:
                self.phase = "fetch"
                self.groups += 1
                if self.groups % 10 == 0:
                    self.between.append(_rss())

        database.Store._close = closing  # type: ignore[method-assign]
        sync_run.land_group = landing  # type: ignore[assignment]


def _with_settings(settings: dict[str, str]) -> None:
    """Every read-write DuckDB connection opened from now on gets ``settings``."""
    connect = duckdb.connect

    def connecting(database: str = ":memory:", *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        if not kwargs.get("read_only"):
            kwargs["config"] = {**settings, **kwargs.get("config", {})}
        return connect(database, *args, **kwargs)

    duckdb.connect = connecting  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=5000)
    parser.add_argument("--users", type=int, default=300, help="users per tenant")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--duckdb", action="append", default=[], metavar="NAME=VALUE",
                        help="a DuckDB setting for the sync's connections (repeatable)")
    args = parser.parse_args()
    if args.duckdb:
        _with_settings(dict(item.split("=", 1) for item in args.duckdb))
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        host, ca_file = stack.enter_context(external_simulator(args.tenants, args.users, 0, args.seed))
        db = Path(tmp) / "bench.duckdb"
        store = Store(db)
        with store.hold():
            for tenant in generate_tenants(args.tenants, args.seed, users_per_tenant=1):
                add_integration(store, tenant.tenant_id, tenant.display_name)
        settings = Settings(db_path=db, concurrency=args.concurrency).with_simulator(
            authority_host=host, graph_url=f"{host}/v1.0", ca_bundle=ca_file,
            client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
            product_names_url=f"{host}/licensing/product-names.csv")
        phases = _Phases()
        phases.instrument()
        before = _rss()
        started = time.perf_counter()
        with phases.running():
            results = sync_tenants(store, settings)
        elapsed = time.perf_counter() - started
        failed = sum(r.outcome != "ok" for r in results)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"tenants={args.tenants} users/tenant={args.users} concurrency={args.concurrency} "
              f"duckdb={args.duckdb or 'defaults'}: {elapsed:.1f}s, {failed} failed, "
              f"database {db.stat().st_size / 1e6:.0f} MB")
        print(f"resident MiB: {before:.0f} before the sync; peak {peak:.0f}; by phase "
              + ", ".join(f"{k} {v:.0f}" for k, v in sorted(phases.peaks.items())))
        print("after every tenth group commit:", " ".join(f"{v:.0f}" for v in phases.between))
        jumps = sorted(phases.closes, key=lambda c: c[1] - c[0], reverse=True)[:5]
        print("largest jumps while closing (before -> peak):",
              ", ".join(f"{a:.0f} -> {b:.0f}" for a, b in jumps))
        tail = phases.buffers[-10:]
        print("DuckDB buffers at the end of the last commits (MiB):", " ".join(f"{v:.0f}" for v in tail))


if __name__ == "__main__":
    main()
