"""Benchmark: ``tenants import`` of N tenant GUIDs against the simulator (own process).

    python -m bench.bench_import --tenants 1000 --latency-ms 50

Prints the wall time and this process's CPU time of :func:`o365lic.tenants.import_tenants` for
a CSV of every simulated tenant's GUID (the simulator runs in its own process), and how many
were connected.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from bench.bench_sync import external_simulator
from o365lic.config import Settings
from o365lic.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, generate_tenants
from o365lic.store import Store
from o365lic.tenants import import_tenants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        host, ca_file = stack.enter_context(external_simulator(args.tenants, 1, args.latency_ms, args.seed))
        tenants = generate_tenants(args.tenants, args.seed, users_per_tenant=1)
        db = Path(tmp) / "bench.duckdb"
        settings = Settings(db_path=db).with_simulator(
            authority_host=host, graph_url=f"{host}/v1.0", ca_bundle=ca_file,
            client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
        text = "tenant_id,organization\n" + "".join(f"{t.tenant_id},{t.display_name} {n}\n"
                                                    for n, t in enumerate(tenants))
        started, cpu = time.perf_counter(), time.process_time()
        report = import_tenants(Store(db), settings, text)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"tenants import of {args.tenants} GUIDs at {args.latency_ms} ms: {elapsed:.1f}s "
              f"(process CPU {cpu:.1f}s), {len(report.added)} connected, {len(report.errors)} refused")


if __name__ == "__main__":
    main()
