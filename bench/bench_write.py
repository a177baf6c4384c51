"""Benchmark of the write path alone (no Graph): land N synthetic tenants in group commits.

    python -m bench.bench_write --sizes 100 1000 5000 --users 20 --skus 5 --group 50

For each size: a fresh database, the tenants connected, then every tenant landed with
:func:`o365lic.store.land_group` in groups of ``--group`` (the sync's group commits, opening
the file for each), then the same again unchanged (a re-sync). Prints the time per group
(first tenth and last tenth of the groups: the cost must not grow with the database), the
time per tenant, and a plain DuckDB bulk insert of the same rows into bare tables (the floor).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import pyarrow as pa

from o365lic.licenses import license_record
from o365lic.store import Store, TenantBatch, TenantInfo, land_group, start_runs
from o365lic.store.landing import USER_COLUMNS

SKUS = [str(uuid.UUID(int=n + 1)) for n in range(50)]


def _batch(run_id: int, integration_id: int, tenant_id: str, users: int, skus: int) -> TenantBatch:
    ids = [f"{tenant_id[:8]}-user-{n}" for n in range(users)]
    columns = {"user_id": ids, "user_principal_name": [f"{i}@example.com" for i in ids],
               "display_name": [f"User {n}" for n in range(users)], "given_name": ["Ada"] * users,
               "surname": [f"L{n}" for n in range(users)], "mail": [f"{i}@example.com" for i in ids],
               "proxy_addresses": [[f"{i}@example.com"] for i in ids], "account_enabled": [True] * users}
    assert set(columns) == set(USER_COLUMNS)
    records = [license_record({"skuId": SKUS[k], "skuPartNumber": f"SKU_{k}", "capabilityStatus": "Enabled",
                               "consumedUnits": users // 2, "prepaidUnits": {"enabled": users}},
                              product_names={}) for k in range(skus)]
    pairs = [(i, SKUS[n % skus]) for n, i in enumerate(ids)]
    return TenantBatch(run_id, integration_id, TenantInfo(tenant_id, f"Tenant {tenant_id[:8]}", None, ()),
                       records, [], columns, ([p[0] for p in pairs], [p[1] for p in pairs]))


def _connect(store: Store, count: int) -> list[tuple[int, str]]:
    with store.transaction() as con:
        con.execute("INSERT INTO organizations (id, name) SELECT range + 1, 'Org ' || range FROM range(?)", [count])
        con.execute("INSERT INTO integrations (id, tenant_id, organization_id) "
                    "SELECT range + 1, uuid()::VARCHAR, range + 1 FROM range(?)", [count])
        con.execute("SELECT setval('integrations_id_seq', ?)", [count]).fetchall()
        con.execute("SELECT setval('organizations_id_seq', ?)", [count]).fetchall()
        rows = con.execute("SELECT id, tenant_id FROM integrations ORDER BY id").fetchall()
        return [(int(i), str(t)) for i, t in rows]


def _land_all(store: Store, tenants: list[tuple[int, str]], args: argparse.Namespace) -> list[float]:
    runs = start_runs(store, tenants)
    times = []
    for start in range(0, len(tenants), args.group):
        group = [_batch(runs[i], i, t, args.users, args.skus) for i, t in tenants[start:start + args.group]]
        began = time.perf_counter()
        failed = land_group(store, group)
        times.append(time.perf_counter() - began)
        assert not failed, failed
    return times


def _plain(path: Path, tenants: list[tuple[int, str]], args: argparse.Namespace) -> float:
    """The same rows, inserted into bare tables (no merge, no history): the floor."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE users (integration_id INTEGER, user_id VARCHAR, upn VARCHAR, name VARCHAR, "
                "mail VARCHAR, aliases VARCHAR[])")
    con.execute("CREATE TABLE licenses (integration_id INTEGER, sku_id VARCHAR, active INTEGER, consumed INTEGER)")
    con.execute("CREATE TABLE tags (integration_id INTEGER, user_id VARCHAR, sku_id VARCHAR)")
    con.close()
    total = 0.0
    for start in range(0, len(tenants), args.group):
        group = [_batch(0, i, t, args.users, args.skus) for i, t in tenants[start:start + args.group]]
        users = pa.table({
            "integration_id": [b.integration_id for b in group for _ in b.users["user_id"]],
            "user_id": [u for b in group for u in b.users["user_id"]],
            "upn": [u for b in group for u in b.users["user_principal_name"]],
            "name": [u for b in group for u in b.users["display_name"]],
            "mail": [u for b in group for u in b.users["mail"]],
            "aliases": [u for b in group for u in b.users["proxy_addresses"]]})
        licenses = pa.table({
            "integration_id": [b.integration_id for b in group for _ in b.licenses or ()],
            "sku_id": [x.sku_id for b in group for x in b.licenses or ()],
            "active": [x.counts.active for b in group for x in b.licenses or ()],
            "consumed": [x.counts.consumed for b in group for x in b.licenses or ()]})
        tags = pa.table({
            "integration_id": [b.integration_id for b in group for _ in b.user_licenses[0]],
            "user_id": [u for b in group for u in b.user_licenses[0]],
            "sku_id": [s for b in group for s in b.user_licenses[1]]})
        began = time.perf_counter()
        con = duckdb.connect(str(path))
        con.execute("BEGIN")
        for name, table in (("users", users), ("licenses", licenses), ("tags", tags)):
            con.register("frame", table)
            con.execute(f"INSERT INTO {name} SELECT * FROM frame")
            con.unregister("frame")
        con.execute("COMMIT")
        con.close()
        total += time.perf_counter() - began
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--skus", type=int, default=5)
    parser.add_argument("--group", type=int, default=50)
    args = parser.parse_args()
    print(f"users/tenant={args.users} skus/tenant={args.skus} group={args.group}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "bench.duckdb")
            tenants = _connect(store, size)
            first = _land_all(store, tenants, args)
            again = _land_all(store, tenants, args)
            plain = _plain(Path(tmp) / "plain.duckdb", tenants, args)
            tenth = max(1, len(first) // 10)
            print(f"{size:>6} tenants: first sync {sum(first):6.1f}s ({sum(first) / size * 1000:5.1f} ms/tenant), "
                  f"group median {statistics.median(first) * 1000:5.0f} ms "
                  f"(first tenth {statistics.median(first[:tenth]) * 1000:4.0f} ms, "
                  f"last tenth {statistics.median(first[-tenth:]) * 1000:4.0f} ms); "
                  f"unchanged re-sync {sum(again):6.1f}s (group median {statistics.median(again) * 1000:4.0f} ms, "
                  f"last tenth {statistics.median(again[-tenth:]) * 1000:4.0f} ms); "
                  f"plain bulk insert {plain:5.1f}s ({plain / size * 1000:4.1f} ms/tenant)")


if __name__ == "__main__":
    main()
