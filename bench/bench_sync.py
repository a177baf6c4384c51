"""Benchmark (run from the repository root): sync many simulated tenants, then time the
reads behind the Global page. Run by hand, not part of the tests:

    python -m bench.bench_sync --tenants 300 --users 60 --latency-ms 150 --concurrency 48

By default the simulator runs in a separate process (as Microsoft would be), so the figures
are the sync's own; ``--in-process`` shares one Python process (and its GIL) with it.
Prints wall time, requests (Graph requests plus one sign-in per tenant), the serial estimate
(requests × latency) and the ratio to it, this process's CPU seconds per tenant, peak memory
(max RSS), the re-sync time and the Global page's reads. ``--hold-file`` keeps the database
open for the whole sync instead of opening it for each group commit. ``--cli`` runs the sync
as cron does, ``python -m o365lic sync`` in a process of its own on the database prepared
here (configured through ``O365LIC_*`` variables, as for Microsoft), and reports that
process's wall time, CPU and peak memory: nothing of this bench's own set-up counts in them.
Results are written down in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from o365lic import reports
from o365lic.config import DEFAULT_CONCURRENCY, Settings
from o365lic.simulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    generate_tenants,
    start_simulator,
)
from o365lic.store import Store, add_integration
from o365lic.sync import sync_tenants


@contextlib.contextmanager
def external_simulator(tenants: int, users: int, latency_ms: int, seed: int) -> Iterator[tuple[str, str]]:
    """``python -m o365lic simulate`` in a subprocess; yields (authority host, CA file)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "o365lic", "simulate", "--port", str(port), "--tenants", str(tenants),
         "--users-per-tenant", str(users), "--latency-ms", str(latency_ms), "--seed", str(seed)],
        stdout=subprocess.PIPE, text=True)
    try:
        ca_file = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            found = re.search(r"CA file\s*:\s*(\S+)", line)
            if found:
                ca_file = found.group(1)
            if line.startswith("Press Ctrl-C"):
                break
        yield f"https://127.0.0.1:{port}", ca_file
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--users", type=int, default=300, help="users per tenant")
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--hold-file", action="store_true", help="keep the database open for the whole sync")
    parser.add_argument("--no-resync", action="store_true", help="skip the re-sync and the page reads")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--in-process", action="store_true", help="run the simulator in this process")
    parser.add_argument("--cli", action="store_true",
                        help="sync with `python -m o365lic sync` in its own process (as cron does)")
    args = parser.parse_args()
    if args.cli and (args.in_process or args.hold_file):
        parser.error("--cli runs the sync in its own process: not with --in-process or --hold-file")

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        if args.in_process:
            sim = stack.enter_context(start_simulator(
                tenants=args.tenants, users_per_tenant=args.users, latency_ms=args.latency_ms, seed=args.seed))
            host, ca_file, tenants = sim.authority_host, sim.ca_file, list(sim.tenants.values())
        else:
            host, ca_file = stack.enter_context(
                external_simulator(args.tenants, args.users, args.latency_ms, args.seed))
            # Only the ids and names are needed here: one user each keeps this process small
            # (the tenants' ids and names do not depend on the number of users).
            tenants = generate_tenants(args.tenants, args.seed, users_per_tenant=1)
        db = Path(tmp) / "bench.duckdb"
        store = Store(db)
        with store.hold():  # one open file for the connects
            for tenant in tenants:
                add_integration(store, tenant.tenant_id, tenant.display_name)
        del tenants
        settings = Settings(db_path=db, concurrency=args.concurrency).with_simulator(
            authority_host=host, graph_url=f"{host}/v1.0", ca_bundle=ca_file,
            client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
            product_names_url=f"{host}/licensing/product-names.csv",
        )
        if args.cli:
            _cli_sync(args, db, settings)
            return
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu_before = _cpu()
        started = time.perf_counter()
        results = sync_tenants(store, settings, hold_file=args.hold_file)
        elapsed = time.perf_counter() - started
        cpu = _cpu() - cpu_before
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        failed = [r for r in results if r.outcome != "ok"]
        users = sum(r.users for r in results)
        requests = sum(r.requests for r in results) + len(results)  # + one sign-in per tenant
        serial = requests * args.latency_ms / 1000
        where = "in-process" if args.in_process else "separate process"
        print(f"tenants={args.tenants} users/tenant={args.users} latency={args.latency_ms}ms "
              f"concurrency={args.concurrency} simulator={where} hold_file={args.hold_file}")
        ratio = f", {serial / elapsed:.1f}x faster than serial" if serial else ""
        print(f"sync: {elapsed:.1f}s, {args.tenants / elapsed:.1f} tenants/s, {users} users, "
              f"{requests} requests (serial estimate {serial:.1f}s{ratio}), {len(failed)} failed")
        print(f"cpu: {cpu:.1f}s in this process, {cpu / args.tenants * 1000:.1f} ms per tenant")
        print(f"max RSS: {rss_before / 1024:.0f} MiB before the sync, {rss_after / 1024:.0f} MiB after")
        causes: dict[str, int] = {}
        for r in failed:
            cause = re.sub(r"tenant [0-9a-f-]+: ", "", r.error or "")[:120]
            causes[cause] = causes.get(cause, 0) + 1
        for cause, count in sorted(causes.items(), key=lambda c: -c[1])[:5]:
            print(f"  {count} failed: {cause}")
        if args.no_resync:
            return
        assets = store.scalar("SELECT count(*) FROM office365_licenses")
        started = time.perf_counter()
        for _ in range(10):
            reports.totals(store)
            reports.organization_summary(store)
            reports.licenses(store)
        per_view = (time.perf_counter() - started) / 10
        print(f"Global page reads ({assets} license assets): {per_view * 1000:.0f} ms per view (uncached)")
        started = time.perf_counter()
        sync_tenants(store, settings, hold_file=args.hold_file)
        print(f"re-sync (unchanged): {time.perf_counter() - started:.1f}s")
        print(f"database file: {db.stat().st_size / 1e6:.1f} MB")


def _cli_sync(args: argparse.Namespace, db: Path, settings: Settings) -> None:
    """``python -m o365lic sync`` on ``db`` in its own process: its wall time, CPU and peak RSS
    (from ``wait4``), as a cron entry would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("O365LIC_")}
    env.update({
        "O365LIC_DB": str(db), "O365LIC_CLIENT_ID": settings.client_id or "",
        "O365LIC_CLIENT_SECRET": settings.client_secret or "",
        "O365LIC_AUTHORITY_HOST": settings.authority_host, "O365LIC_GRAPH_URL": settings.graph_url,
        "O365LIC_CA_BUNDLE": str(settings.ca_bundle or ""), "O365LIC_CONCURRENCY": str(args.concurrency),
        "O365LIC_PRODUCT_NAMES_URL": settings.product_names_url or "",
    })
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "o365lic", "sync"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    last = ""
    with proc.stdout:
        for line in proc.stdout:  # one line per tenant; the last one is the summary
            last = line.strip()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    print(f"tenants={args.tenants} users/tenant={args.users} latency={args.latency_ms}ms "
          f"concurrency={args.concurrency} sync=`python -m o365lic sync` in its own process")
    print(f"sync: {elapsed:.1f}s, {args.tenants / elapsed:.1f} tenants/s (start-up included), "
          f"exit {proc.returncode}: {last}")
    print(f"cpu: {cpu:.1f}s in the sync process, {cpu / args.tenants * 1000:.1f} ms per tenant")
    print(f"max RSS of the sync process: {usage.ru_maxrss / 1024:.0f} MiB")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

if __name__ == "__main__":
    main()
