"""The command line: ``python -m o365lic ...`` (SPEC section 7)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence, TextIO

from o365lic import demo, reports
from o365lic.config import ConfigError, Settings, load_settings
from o365lic.export import licenses_csv
from o365lic.graph import GraphError
from o365lic.product_names import ProductNamesError, refresh_product_names
from o365lic.store import (
    DISCONNECT_LABELS,
    DisconnectMode,
    Store,
    StoreError,
    accept_suggested_matches,
    add_discovered_tenants,
    create_organizations_for,
    disconnect_tenant,
    ignore_tenants,
    last_warnings,
    list_integrations,
    match_tenants,
    revert_matches,
    suggestions,
    update_integration,
)
from o365lic.sync import SyncInProgressError, TenantSyncResult, sync_tenants
from o365lic.tenants import connect_tenant, discover_tenants, import_tenants

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
o365lic: Microsoft 365 licenses (Active, Consumed, Unused) of every customer tenant.

With no app registration configured (O365LIC_CLIENT_ID unset) every command works in
demo mode, against the built-in Microsoft 365 simulator. The database is O365LIC_DB
(default data/o365lic.duckdb).
"""

EPILOG = """\
examples:
  python -m o365lic sync                          sync every connected tenant
  python -m o365lic export --out licenses.csv     all licenses as CSV
  python -m o365lic tenants add contoso.onmicrosoft.com --organization "Contoso"
  python -m o365lic tenants import tenants.csv    (header: tenant_id,organization)
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m o365lic", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    tenants = commands.add_parser("tenants", help="connect, import, list and discover tenants")
    tenant_commands = tenants.add_subparsers(dest="tenants_command", metavar="ACTION", required=True)
    add = tenant_commands.add_parser(
        "add", help="connect a tenant and match it to an organization (created if it does not exist)")
    add.add_argument("tenant", metavar="TENANT", help="tenant id (GUID) or a verified domain such as contoso.onmicrosoft.com")
    add.add_argument("--organization", required=True, metavar="NAME", help="the organization to match the tenant to")
    imp = tenant_commands.add_parser(
        "import", help="connect many tenants from a CSV with the header tenant_id,organization")
    imp.add_argument("file", metavar="FILE", type=Path)
    tenant_commands.add_parser("list", help="connected tenants with match, settings and status")
    tenant_commands.add_parser(
        "discover", help="partner mode: add customer tenants from GET /contracts (needs O365LIC_PARTNER_TENANT); "
                         "an exact organization name matches at once, the others wait for 'tenants match'")
    match = tenant_commands.add_parser(
        "match", help="match discovered tenants: accept the suggestion, match to, create, ignore or revert")
    match.add_argument("tenants", nargs="+", metavar="TENANT", help="tenant ids")
    how = match.add_mutually_exclusive_group(required=True)
    how.add_argument("--accept", action="store_true", help="Accept Suggested Match")
    how.add_argument("--to", metavar="ORGANIZATION", help="Match To (or Change Match) an existing organization")
    how.add_argument("--create", action="store_true", help="Create Organization named like the tenant")
    how.add_argument("--ignore", action="store_true", help="Ignore: never sync these tenants")
    how.add_argument("--revert", action="store_true", help="Revert Match: back to unmatched")
    for verb, text in (("pause", "stop syncing a tenant until resumed"), ("resume", "sync a paused tenant again")):
        command = tenant_commands.add_parser(verb, help=text)
        command.add_argument("tenants", nargs="+", metavar="TENANT")
    interval = tenant_commands.add_parser("interval", help="set how often a tenant is due (sync --due)")
    interval.add_argument("tenants", nargs="+", metavar="TENANT")
    interval.add_argument("--minutes", type=int, required=True)

    sync = commands.add_parser(
        "sync", help="sync connected, unpaused tenants concurrently; exit 1 if any failed",
        description="Sync all connected, unpaused tenants (or those named). One line per tenant. "
                    "Exit 0 when all succeeded, 1 when any failed (the others still land).")
    sync.add_argument("--tenant", action="append", metavar="TENANT", default=None,
                      help="sync only this tenant (id or domain); repeat for several")
    sync.add_argument("--due", action="store_true",
                      help="only tenants whose sync interval has passed (for a cron entry)")

    export = commands.add_parser("export", help="licenses as CSV (stdout unless --out)")
    export.add_argument("--organization", metavar="NAME", help="only this organization's licenses")
    export.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead of stdout")
    export.add_argument("--without-free", action="store_true", help="leave out free, viral and trial SKUs")

    disconnect = commands.add_parser(
        "disconnect", help="stop syncing a tenant, keeping or deleting its data",
        description="--keep-data: " + DISCONNECT_LABELS["keep-data"] + ". --delete-data: "
                    + DISCONNECT_LABELS["delete-data"] + ". Organizations and contacts stay either way.")
    disconnect.add_argument("tenant", metavar="TENANT")
    mode = disconnect.add_mutually_exclusive_group(required=True)
    mode.add_argument("--keep-data", action="store_true", help=DISCONNECT_LABELS["keep-data"])
    mode.add_argument("--delete-data", action="store_true", help=DISCONNECT_LABELS["delete-data"])

    names = commands.add_parser(
        "names", help="load Microsoft's product names for SKUs (a sync does this weekly by itself)")
    names_commands = names.add_subparsers(dest="names_command", metavar="ACTION", required=True)
    refresh = names_commands.add_parser(
        "refresh", help="download Microsoft's product names CSV now (O365LIC_PRODUCT_NAMES_URL), or read --file")
    refresh.add_argument("--file", type=Path, metavar="FILE",
                         help="a copy of 'Product names and service plan identifiers for licensing.csv'")

    simulate = commands.add_parser("simulate", help="run the Microsoft 365 simulator in the foreground")
    simulate.add_argument("--port", type=int, default=8365)
    simulate.add_argument("--tenants", type=int, default=6)
    simulate.add_argument("--latency-ms", type=int, default=0)
    simulate.add_argument("--users-per-tenant", type=int, default=None)
    simulate.add_argument("--seed", type=int, default=365)
    return parser


def _runtime(settings: Settings, store: Store) -> Settings:
    """Settings for talking to Microsoft, or to the simulator in demo mode."""
    if settings.demo_mode:
        resolved = demo.runtime_settings(settings)
        demo.ensure_demo_tenants(store)
        return resolved
    return settings


def _cmd_tenants(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = Store(settings.db_path)
    runtime = _runtime(settings, store)
    if args.tenants_command == "add":
        integration = connect_tenant(store, runtime, args.tenant, args.organization)
        print(f"connected {integration.tenant_id} to {integration.organization}", file=out)
        return EXIT_OK
    if args.tenants_command == "import":
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: cannot read {args.file}: {exc}", file=err)
            return EXIT_FAILED
        report = import_tenants(store, runtime, text)
        for integration in report.added:
            print(f"connected {integration.tenant_id} to {integration.organization}", file=out)
        for line, message in report.errors:
            print(f"error: {args.file}, line {line}: {message}", file=err)
        print(f"{len(report.added)} tenants added, {len(report.errors)} rows refused", file=out)
        return EXIT_FAILED if report.errors else EXIT_OK
    if args.tenants_command == "list":
        rows = list_integrations(store)
        warnings = last_warnings(store)
        if not rows:
            print("no tenants connected; add one with: python -m o365lic tenants add TENANT --organization NAME", file=out)
            return EXIT_OK
        print(f"{'ORGANIZATION':30} {'TENANT ID':36} {'STATUS':12} {'LAST SYNC':20} LICENSES INTERVAL", file=out)
        for i in rows:
            last = i.last_sync_at.strftime("%Y-%m-%d %H:%M:%S") if i.last_sync_at else "-"
            state = i.status if i.match_state == "matched" else i.match_state
            print(f"{(i.organization or i.tenant_name or '-')[:30]:30} {i.tenant_id:36} {state:12} {last:20} "
                  f"{'yes' if i.sync_licenses else 'no':8} {i.sync_interval_minutes} min", file=out)
            if i.last_error and i.status == "Error":
                print(f"    last error: {i.last_error}", file=out)
            if warnings.get(i.tenant_id) and i.status != "Error":
                print(f"    warning: {warnings[i.tenant_id]}", file=out)
        return EXIT_OK
    if args.tenants_command == "discover":
        found = discover_tenants(runtime)
        added = dict(add_discovered_tenants(store, found))
        suggested = suggestions(store)
        for tenant in found:
            tenant_id = tenant["tenant_id"]
            state = added.get(tenant_id, "known")
            hint = f"  suggested: {suggested[tenant_id].organization} ({suggested[tenant_id].reason})" \
                if tenant_id in suggested else ""
            print(f"{tenant_id}  {state:9} {tenant['domain']:40} {tenant['name']}{hint}", file=out)
        print(f"{len(found)} customer tenants, {len(added)} new", file=out)
        return EXIT_OK
    if args.tenants_command == "match":
        if args.accept:
            changed = accept_suggested_matches(store, args.tenants)
        elif args.to:
            changed = match_tenants(store, args.tenants, args.to)
        elif args.create:
            changed = create_organizations_for(store, args.tenants)
        elif args.ignore:
            changed = ignore_tenants(store, args.tenants)
        else:
            changed = revert_matches(store, args.tenants)
        print(f"{changed} tenants changed", file=out)
        return EXIT_OK
    for tenant in args.tenants:
        if args.tenants_command == "interval":
            update_integration(store, tenant, sync_interval_minutes=args.minutes)
        else:
            update_integration(store, tenant, paused=args.tenants_command == "pause")
    print(f"{len(args.tenants)} tenants changed", file=out)
    return EXIT_OK


def _cmd_sync(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = Store(settings.db_path)
    runtime = _runtime(settings, store)

    def progress(result: TenantSyncResult, done: int, total: int) -> None:
        print(f"[{done}/{total}] {result.line()}", file=out, flush=True)

    results = sync_tenants(store, runtime, tenants=args.tenant, due_only=args.due,
                           trigger="due" if args.due else "cli", on_result=progress)
    failed = sum(r.outcome == "error" for r in results)
    synced = sum(r.outcome == "ok" for r in results)
    if not results:
        print("nothing to sync" + (" (no tenant is due)" if args.due else " (no tenants connected)"), file=out)
    else:
        print(f"{synced} tenants synced, {failed} failed", file=out)
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_export(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = Store(settings.db_path)
    if settings.demo_mode:
        demo.ensure_demo_tenants(store)
    organizations = None
    if args.organization:
        names = {n.lower(): n for n in reports.organization_names(store)}
        match = names.get(" ".join(args.organization.split()).lower())
        if match is None:
            print(f"error: no organization named {args.organization!r}", file=err)
            return EXIT_FAILED
        organizations = [match]
    table = reports.licenses(store, organizations=organizations, include_free=not args.without_free)
    text = licenses_csv(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8", newline="")
        print(f"{len(table)} licenses written to {args.out}", file=err)
    else:
        out.write(text)
    return EXIT_OK


def _cmd_disconnect(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = Store(settings.db_path)
    mode: DisconnectMode = "keep-data" if args.keep_data else "delete-data"
    report = disconnect_tenant(store, args.tenant, mode)
    if mode == "keep-data":
        print(f"disconnected {report.tenant_id}; kept {report.assets} license assets and their history", file=out)
    else:
        print(f"disconnected {report.tenant_id}; deleted {report.assets} license assets, {report.tags} tags, "
              f"{report.snapshots} history rows" + ("; the Office 365 Licenses type is gone too"
                                                    if report.type_deleted else ""), file=out)
    return EXIT_OK


def _cmd_names(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = Store(settings.db_path)
    count = refresh_product_names(store, _runtime(settings, store), file=args.file)
    print(f"product names loaded for {count} SKUs; the next sync uses them", file=out)
    return EXIT_OK


def _cmd_simulate(args: argparse.Namespace, out: TextIO) -> int:
    from o365lic.simulator import serve_forever

    serve_forever(port=args.port, tenants=args.tenants, latency_ms=args.latency_ms,
                  seed=args.seed, users_per_tenant=args.users_per_tenant)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    if args.command == "simulate":
        return _cmd_simulate(args, out)
    try:
        settings = load_settings()
        handler = {"tenants": _cmd_tenants, "sync": _cmd_sync, "export": _cmd_export,
                   "disconnect": _cmd_disconnect, "names": _cmd_names}[args.command]
        return handler(args, settings, out, err)
    except ConfigError as exc:
        print(f"error: configuration: {exc}", file=err)
        return EXIT_USAGE
    except (StoreError, SyncInProgressError, GraphError, ProductNamesError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
