"""Benchmark: the CPU of one Graph request and of one tenant's sign-in, measured alone.

    python -m bench.bench_request --requests 2000 --sign-ins 200

One thread, a warm connection, the simulator in its own process at 0 ms latency. Prints this
process's CPU (user + system) and the wall time per ``GET /organization`` and per
``GET /users`` (20 users, a gzip-compressed answer) through :class:`o365lic.graph.GraphClient`,
and per first sign-in of a tenant (a new MSAL application: its openid-configuration and the
token request). Run by hand, not part of the tests; results are in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable

from bench.bench_sync import external_simulator
from o365lic.config import Settings
from o365lic.graph import GraphConnector
from o365lic.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, generate_tenants


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _measure(name: str, times: int, action: Callable[[], object]) -> None:
    for _ in range(min(100, times)):  # warm up: connections, caches
        action()
    cpu, wall = _cpu(), time.perf_counter()
    for _ in range(times):
        action()
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    print(f"{name}: {cpu / times * 1000:.3f} ms CPU, {wall / times * 1000:.3f} ms wall ({times} times)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sign-ins", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    tenants = args.sign_ins + 1
    with external_simulator(tenants, 20, 0, args.seed) as (host, ca_file):
        ids = [t.tenant_id for t in generate_tenants(tenants, args.seed, users_per_tenant=1)]
        settings = Settings(concurrency=1).with_simulator(
            authority_host=host, graph_url=f"{host}/v1.0", ca_bundle=ca_file,
            client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
        with GraphConnector(settings) as connector:
            client = connector.client(ids[0])
            _measure("GET /organization", args.requests, lambda: client.get("/organization"))
            _measure("GET /users", args.requests, lambda: client.get("/users", {"$top": "999"}))
            fresh = iter(ids[1:])
            cpu, wall = _cpu(), time.perf_counter()
            for tenant in fresh:
                connector.token(tenant)
            cpu, wall = _cpu() - cpu, time.perf_counter() - wall
            print(f"sign-in of a new tenant: {cpu / args.sign_ins * 1000:.3f} ms CPU, "
                  f"{wall / args.sign_ins * 1000:.3f} ms wall ({args.sign_ins} tenants)")


if __name__ == "__main__":
    main()
