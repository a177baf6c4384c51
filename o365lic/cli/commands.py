"""The handlers of ``sync``, ``export`` (CSV), ``disconnect``, ``names``, ``audit`` and
``simulate``: (args, settings, out, err) -> exit code. Handlers raise; the error is worded
once, in :mod:`o365lic.cli.errors`."""

from __future__ import annotations

import argparse
import errno
from typing import TextIO

from o365lic import demo, reports
from o365lic.cli import downloads, reporting
from o365lic.cli.common import open_store, organization_option, runtime_settings, tenant_ids, write_table
from o365lic.cli.errors import EXIT_FAILED, EXIT_OK, CliError
from o365lic.cli.output import cli_actor
from o365lic.config import Settings
from o365lic.export import guard_cell, iso_utc, licenses_csv
from o365lic.product_names import refresh_product_names
from o365lic.store import DisconnectMode, disconnect_tenant
from o365lic.store.audit import audit_log
from o365lic.sync import TenantSyncResult, sync_tenants
from o365lic.text import clean_name
from o365lic.wording import disconnect_line

__all__ = ["audit_command", "disconnect_command", "export_command", "names_command", "simulate_command",
           "sync_command"]


def sync_command(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = open_store(settings)
    runtime = runtime_settings(settings, store)
    args.tenant = downloads.check_sync_tenants(store, args.tenant)

    def progress(result: TenantSyncResult, done: int, total: int) -> None:
        print(f"[{done}/{total}] {clean_name(result.line(), 4000)}", file=out, flush=True)

    results = sync_tenants(store, runtime, tenants=args.tenant, due_only=args.due,
                           trigger="due" if args.due else "cli", on_result=progress)
    failed = sum(r.outcome == "error" for r in results)
    synced = sum(r.outcome == "ok" for r in results)
    if not results:
        print("nothing to sync" + (" (no tenant is due)" if args.due else " (no tenants connected)"), file=out)
    else:
        print(f"{synced} tenants synced, {failed} failed", file=out)
    return EXIT_FAILED if failed else EXIT_OK


def export_command(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    if args.format == "xlsx":
        return downloads.export_workbook(args, settings, out, err)
    if args.costs:
        return reporting.export_costs(args, settings, out, err)
    store = open_store(settings)
    if settings.demo_mode:
        demo.ensure_demo_tenants(store)
    # every organization, also one without licenses (its export is the header alone)
    organizations = organization_option(store, args.organization)
    table = reports.licenses(store, organizations=organizations, include_free=not args.without_free)
    return write_table(licenses_csv(table), len(table), args.out, out, err)


def disconnect_command(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = open_store(settings)
    mode: DisconnectMode = "keep-data" if args.keep_data else "delete-data"
    tenant_id = tenant_ids(store, settings, [args.tenant])[0]
    report = disconnect_tenant(store, tenant_id, mode, actor=cli_actor())
    print(disconnect_line(report), file=out)
    return EXIT_OK


def names_command(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = open_store(settings)
    count = refresh_product_names(store, runtime_settings(settings, store), file=args.file)
    print(f"product names loaded for {count} SKUs; the next sync uses them", file=out)
    return EXIT_OK


def audit_command(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    log = audit_log(open_store(settings), limit=args.limit)
    log["When"] = [iso_utc(v) for v in log["When"]]
    for column in ("Who", "Action", "Target", "Detail"):
        log[column] = [guard_cell("" if v is None or v != v else str(v)) for v in log[column]]
    out.write(log.to_csv(index=False, lineterminator="\r\n"))
    return EXIT_OK


def simulate_command(args: argparse.Namespace, settings: Settings | None, out: TextIO, err: TextIO) -> int:
    from o365lic.simulator import serve_forever

    try:
        serve_forever(port=args.port, tenants=args.tenants, latency_ms=args.latency_ms,
                      seed=args.seed, users_per_tenant=args.users_per_tenant)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {args.port} is in use: choose another with --port (0 picks a free one)") from None
        raise
    return EXIT_OK
