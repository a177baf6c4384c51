"""Benchmark (run from the repository root): sync many simulated tenants, then time the Global page's reads.

Run by hand (not part of the tests):

    python -m bench.bench_sync --tenants 200 --users 300 --latency-ms 40 --concurrency 16

Prints wall time, tenants per second, Graph requests, peak memory (max RSS) and the time of
the reads behind the Global page. Results are written down in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from o365lic import reports
from o365lic.config import Settings
from o365lic.simulator import start_simulator
from o365lic.store import Store, add_integration
from o365lic.sync import sync_tenants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--users", type=int, default=300, help="users per tenant")
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, start_simulator(
        tenants=args.tenants, users_per_tenant=args.users, latency_ms=args.latency_ms, seed=2026
    ) as sim:
        db = Path(tmp) / "bench.duckdb"
        store = Store(db)
        for tenant in sim.tenants.values():
            add_integration(store, tenant.tenant_id, tenant.display_name)
        settings = Settings(db_path=db, concurrency=args.concurrency).with_simulator(
            authority_host=sim.authority_host, graph_url=sim.graph_url, ca_bundle=sim.ca_file,
            client_id=sim.client_id, client_secret=sim.client_secret,
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        results = sync_tenants(store, settings)
        elapsed = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        failed = [r for r in results if r.outcome != "ok"]
        users = sum(r.users for r in results)
        print(f"tenants={args.tenants} users/tenant={args.users} latency={args.latency_ms}ms "
              f"concurrency={args.concurrency}")
        print(f"sync: {elapsed:.1f}s, {args.tenants / elapsed:.1f} tenants/s, {users} users, "
              f"{sum(r.requests for r in results)} requests, {len(failed)} failed")
        print(f"max RSS: {rss_before / 1024:.0f} MiB before sync, {rss_after / 1024:.0f} MiB after")
        assets = store.scalar("SELECT count(*) FROM office365_licenses")
        started = time.perf_counter()
        for _ in range(10):
            reports.totals(store)
            reports.organization_summary(store)
            reports.licenses(store)
        per_view = (time.perf_counter() - started) / 10
        print(f"Global page reads ({assets} license assets): {per_view * 1000:.0f} ms per view (uncached)")
        started = time.perf_counter()
        sync_tenants(store, settings)
        print(f"re-sync: {time.perf_counter() - started:.1f}s")
        print(f"database file: {db.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
