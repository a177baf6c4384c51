"""The command line: ``python -m o365lic ...`` (SPEC section 7)."""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

from o365lic import cli_reports, demo, reports
from o365lic.cli import downloads
from o365lic.cli.common import (
    TENANT_HELP,
    close_interrupted_runs,
    interval_minutes,
    open_store,
    port_number,
    positive_int,
    tenant_ids,
    terminal_name,
    utc_text,
    write_file,
)
from o365lic.cli.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    describe,
    one_line,
    os_reason,
)
from o365lic.cli.output import ScrubbedStream, cli_actor, quiet_stdout
from o365lic.config import Settings, load_settings, split_targets
from o365lic.export import guard_cell, iso_utc, licenses_csv
from o365lic.graph import (
    GraphError,
    resolve_tenant_id,
    validate_tenant_input,
)
from o365lic.product_names import refresh_product_names
from o365lic.store import (
    DISCONNECT_LABELS,
    DisconnectMode,
    Store,
    accept_suggested_matches,
    add_discovered_tenants,
    add_integration,
    create_organizations_for,
    disconnect_tenant,
    ignore_tenants,
    last_warnings,
    list_integrations,
    list_organizations,
    match_tenants,
    revert_matches,
    suggestions,
    update_integration,
)
from o365lic.store.audit import audit_log
from o365lic.store.integrations import MAX_INTERVAL_MINUTES, organization_name
from o365lic.sync import TenantSyncResult, sync_tenants
from o365lic.tenants import discover_tenants, import_tenants
from o365lic.text import clean_name

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "main"]

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
  python -m o365lic export --format xlsx --out .  an Excel workbook named with today's date
  python -m o365lic tenants add contoso.onmicrosoft.com --organization "Contoso"
  python -m o365lic tenants import tenants.csv    (header: tenant_id,organization)

exit codes: 0 success, 1 a failure (a tenant failed, bad input, the database is busy or
damaged, a file cannot be written), 2 a configuration or usage error, 130 interrupted (Ctrl-C).
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
    add.add_argument("tenant", metavar="TENANT",
                     help="tenant id (GUID) or a verified domain such as contoso.onmicrosoft.com")
    add.add_argument("--organization", required=True, metavar="NAME", help="the organization to match the tenant to")
    imp = tenant_commands.add_parser(
        "import", help="connect many tenants from a CSV with the header tenant_id,organization")
    imp.add_argument("file", metavar="FILE", type=Path)
    tenant_commands.add_parser(
        "list", help="connected tenants with match, organization, settings, status, last sync and last error",
        description="One line per tenant: ORGANIZATION, TENANT ID, MATCH (matched, unmatched or ignored), "
                    "STATUS (OK, Syncing..., Error, Paused or Never synced), LAST SYNC (UTC), SYNC LICENSES "
                    "(yes: a sync updates the tenant's licenses; no: its Licenses setting is off and only its "
                    "users are refreshed) and INTERVAL (how often sync --due syncs it); a tenant whose last "
                    "sync failed has its error on the next line.")
    tenant_commands.add_parser(
        "discover", help="partner mode: add customer tenants from GET /contracts (needs O365LIC_PARTNER_TENANT); "
                         "an exact organization name matches at once, the others wait for 'tenants match'")
    match = tenant_commands.add_parser(
        "match", help="match discovered tenants: accept the suggestion, match to, create, ignore or revert")
    match.add_argument("tenants", nargs="+", metavar="TENANT", help=TENANT_HELP)
    how = match.add_mutually_exclusive_group(required=True)
    how.add_argument("--accept", action="store_true", help="Accept Suggested Match")
    how.add_argument("--to", metavar="ORGANIZATION", help="Match To (or Change Match) an existing organization")
    how.add_argument("--create", action="store_true", help="Create Organization named like the tenant")
    how.add_argument("--ignore", action="store_true", help="Ignore: never sync these tenants")
    how.add_argument("--revert", action="store_true", help="Revert Match: back to unmatched")
    for verb, text in (("pause", "stop syncing a tenant until resumed"), ("resume", "sync a paused tenant again")):
        command = tenant_commands.add_parser(verb, help=text)
        command.add_argument("tenants", nargs="+", metavar="TENANT", help=TENANT_HELP)
    interval = tenant_commands.add_parser("interval", help="set how often a tenant is due (sync --due)")
    interval.add_argument("tenants", nargs="+", metavar="TENANT", help=TENANT_HELP)
    interval.add_argument("--minutes", type=interval_minutes, required=True, metavar="N",
                          help=f"from 1 to {MAX_INTERVAL_MINUTES} (one year)")

    sync = commands.add_parser(
        "sync", help="sync connected, unpaused tenants concurrently; exit 1 if any failed",
        description="Sync all connected, unpaused tenants (or those named). One line per tenant. "
                    "Exit 0 when all succeeded, 1 when any failed (the others still land).")
    sync.add_argument("--tenant", action="append", metavar="TENANT", default=None,
                      help="sync only this tenant (id or domain); repeat for several")
    sync.add_argument("--due", action="store_true",
                      help="only tenants whose sync interval has passed (for a cron entry)")

    export = commands.add_parser("export", help=downloads.EXPORT_HELP, description=downloads.EXPORT_DESCRIPTION)
    export.add_argument("--organization", metavar="NAME", help="only this organization's licenses")
    export.add_argument("--out", metavar="FILE", type=Path, help="write to FILE instead of stdout")
    export.add_argument("--without-free", action="store_true",
                        help="leave out free, viral and trial SKUs (the default keeps every license)")

    disconnect = commands.add_parser(
        "disconnect", help="stop syncing a tenant, keeping or deleting its data",
        description="--keep-data: " + DISCONNECT_LABELS["keep-data"] + ". --delete-data: "
                    + DISCONNECT_LABELS["delete-data"] + ". Organizations and contacts stay either way.")
    disconnect.add_argument("tenant", metavar="TENANT", help=TENANT_HELP)
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
    simulate.add_argument("--port", type=port_number, default=8365)
    simulate.add_argument("--tenants", type=int, default=6)
    simulate.add_argument("--latency-ms", type=int, default=0)
    simulate.add_argument("--users-per-tenant", type=int, default=None)
    simulate.add_argument("--seed", type=int, default=365)
    cli_reports.add_parsers(commands, export)
    downloads.add_parsers(commands, export)

    audit = commands.add_parser(
        "audit", help="the audit log as CSV: who changed what, when (newest first)",
        description="Connect, match, disconnect, pause, resume, interval, sync settings, security settings, "
                    "roles and groups, with who did it (cli:<user> from the command line) and when (UTC).")
    audit.add_argument("--limit", type=positive_int, default=500, metavar="N", help="at most N entries (default 500)")

    # New commands: add a parser above and a handler to COMMANDS below; errors are worded in
    # o365lic/cli/errors.py, so a handler just raises.
    return parser


def _runtime(settings: Settings, store: Store) -> Settings:
    """Settings for talking to Microsoft, or to the simulator in demo mode."""
    if settings.demo_mode:
        resolved = demo.runtime_settings(settings)
        demo.ensure_demo_tenants(store)
        return resolved
    return settings


def _cmd_tenants(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = open_store(settings)
    actor = cli_actor()
    if args.tenants_command == "add":
        organization_name(args.organization)  # a blank name is refused before asking Microsoft
        value = validate_tenant_input(args.tenant)
        runtime = _runtime(settings, store)
        try:
            tenant_id = resolve_tenant_id(runtime, value)
        except GraphError as exc:
            raise CliError(f"{value}: {exc.message}") from None
        integration = add_integration(store, tenant_id, args.organization,
                                      default_domain=None if tenant_id == value else value, actor=actor)
        print(f"connected {integration.tenant_id} to {terminal_name(integration.organization)}", file=out)
        return EXIT_OK
    runtime = _runtime(settings, store)
    if args.tenants_command in ("pause", "resume", "interval", "match"):
        args.tenants = tenant_ids(store, settings, args.tenants)
    if args.tenants_command == "import":
        try:
            text = args.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {os_reason(exc)}") from None
        except UnicodeDecodeError:
            raise CliError(f"cannot read {args.file}: it is not UTF-8 text") from None
        report = import_tenants(store, runtime, text, actor=actor)
        for integration in report.added:
            print(f"connected {integration.tenant_id} to {terminal_name(integration.organization)}", file=out)
        for line, message in report.errors:
            print(f"error: {args.file}, line {line}: {one_line(message)}", file=err)
        print(f"{len(report.added)} tenants added, {len(report.errors)} rows refused", file=out)
        return EXIT_FAILED if report.errors else EXIT_OK
    if args.tenants_command == "list":
        close_interrupted_runs(store)
        rows = list_integrations(store)
        warnings = last_warnings(store)
        if not rows:
            print("no tenants connected; add one with: "
                  "python -m o365lic tenants add TENANT --organization NAME", file=out)
            return EXIT_OK
        print(f"{'ORGANIZATION':30} {'TENANT ID':36} {'MATCH':9} {'STATUS':12} {'LAST SYNC (UTC)':19} "
              "SYNC LICENSES  INTERVAL", file=out)
        for i in rows:
            who = i.organization or (f"({i.tenant_name or i.default_domain})"
                                     if i.tenant_name or i.default_domain else None)
            print(f"{terminal_name(who, 30):30} {i.tenant_id:36} {i.match_state:9} {i.status:12} "
                  f"{utc_text(i.last_sync_at):19} {'yes' if i.sync_licenses else 'no':14} "
                  f"{i.sync_interval_minutes} min", file=out)
            if i.last_error and i.status == "Error":
                print(f"    last error: {clean_name(one_line(i.last_error), 4000)}", file=out)  # whole: support ids
            if warnings.get(i.tenant_id) and i.status != "Error":
                print(f"    warning: {clean_name(one_line(warnings[i.tenant_id]), 4000)}", file=out)
        return EXIT_OK
    if args.tenants_command == "discover":
        found = discover_tenants(runtime)
        added = dict(add_discovered_tenants(store, found, actor=actor))
        suggested = suggestions(store)
        for tenant in found:
            tenant_id = tenant["tenant_id"]
            state = added.get(tenant_id, "known")
            hint = f"  suggested: {terminal_name(suggested[tenant_id].organization)} ({suggested[tenant_id].reason})" \
                if tenant_id in suggested else ""
            print(f"{terminal_name(tenant_id)}  {state:9} {terminal_name(tenant['domain']):40} "
                  f"{terminal_name(tenant['name'])}{hint}", file=out)
        print(f"{len(found)} customer tenants, {len(added)} new", file=out)
        return EXIT_OK
    if args.tenants_command == "match":
        if args.accept:
            changed = accept_suggested_matches(store, args.tenants, actor=actor)
        elif args.to:
            changed = match_tenants(store, args.tenants, args.to, actor=actor)
        elif args.create:
            changed = create_organizations_for(store, args.tenants, actor=actor)
        elif args.ignore:
            changed = ignore_tenants(store, args.tenants, actor=actor)
        else:
            changed = revert_matches(store, args.tenants, actor=actor)
        print(f"{changed} tenants changed", file=out)
        return EXIT_OK
    for tenant in args.tenants:
        if args.tenants_command == "interval":
            update_integration(store, tenant, sync_interval_minutes=args.minutes, actor=actor)
        else:
            update_integration(store, tenant, paused=args.tenants_command == "pause", actor=actor)
    print(f"{len(args.tenants)} tenants changed", file=out)
    return EXIT_OK


def _cmd_sync(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = open_store(settings)
    runtime = _runtime(settings, store)
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


def _cmd_export(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    if args.format == "xlsx":
        return downloads.export_workbook(args, settings, out, err)
    if args.costs:
        return cli_reports.export_costs(args, settings, out, err)
    store = open_store(settings)
    if settings.demo_mode:
        demo.ensure_demo_tenants(store)
    organizations = None
    if args.organization:
        # every organization, also one without licenses (its export is the header alone)
        names = {name.lower(): name for _, name in list_organizations(store)}
        match = names.get(clean_name(args.organization).lower())
        if match is None:
            raise CliError(f"no organization named {terminal_name(args.organization)!r}")
        organizations = [match]
    table = reports.licenses(store, organizations=organizations, include_free=not args.without_free)
    text = licenses_csv(table)
    if args.out:
        write_file(args.out, text)
        print(f"{len(table)} licenses written to {args.out}", file=err)
    else:
        out.write(text)
    return EXIT_OK


def _cmd_disconnect(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = open_store(settings)
    mode: DisconnectMode = "keep-data" if args.keep_data else "delete-data"
    tenant_id = tenant_ids(store, settings, [args.tenant])[0]
    report = disconnect_tenant(store, tenant_id, mode, actor=cli_actor())
    if mode == "keep-data":
        print(f"disconnected {report.tenant_id}; kept {report.assets} license assets and their history", file=out)
    else:
        print(f"disconnected {report.tenant_id}; deleted {report.assets} license assets, {report.tags} tags, "
              f"{report.snapshots} history rows" + ("; the Office 365 Licenses type is gone too"
                                                    if report.type_deleted else ""), file=out)
    return EXIT_OK


def _cmd_names(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    store = open_store(settings)
    count = refresh_product_names(store, _runtime(settings, store), file=args.file)
    print(f"product names loaded for {count} SKUs; the next sync uses them", file=out)
    return EXIT_OK


def _cmd_audit(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    log = audit_log(open_store(settings), limit=args.limit)
    log["When"] = [iso_utc(v) for v in log["When"]]
    for column in ("Who", "Action", "Target", "Detail"):
        log[column] = [guard_cell("" if v is None or v != v else str(v)) for v in log[column]]
    out.write(log.to_csv(index=False, lineterminator="\r\n"))
    return EXIT_OK


def _cmd_simulate(args: argparse.Namespace, settings: Settings | None, out: TextIO, err: TextIO) -> int:
    from o365lic.simulator import serve_forever

    try:
        serve_forever(port=args.port, tenants=args.tenants, latency_ms=args.latency_ms,
                      seed=args.seed, users_per_tenant=args.users_per_tenant)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {args.port} is in use: choose another with --port (0 picks a free one)") from None
        raise
    return EXIT_OK


#: The handler of each command: (args, settings, out, err) -> exit code. Handlers raise; the
#: error is worded once, in o365lic/cli/errors.py.
COMMANDS = {
    "tenants": _cmd_tenants,
    "sync": _cmd_sync,
    "export": _cmd_export,
    "disconnect": _cmd_disconnect,
    "names": _cmd_names,
    "audit": _cmd_audit,
    **cli_reports.HANDLERS,
    **downloads.HANDLERS,
}


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code. Every error is one line on ``err``."""
    raw_out = out if out is not None else sys.stdout
    raw_err = err if err is not None else sys.stderr
    scrubbed_out, scrubbed_err = ScrubbedStream(raw_out, []), ScrubbedStream(raw_err, [])
    stdout, stderr = cast(TextIO, scrubbed_out), cast(TextIO, scrubbed_err)
    database: Path | None = None
    try:
        args = _parser().parse_args(argv)
        if args.command == "simulate":
            code = _cmd_simulate(args, None, stdout, stderr)
        else:
            settings = load_settings()
            database = Path(settings.db_path)
            for stream in (scrubbed_out, scrubbed_err):
                stream.add_secret(settings.client_secret)
                for url in split_targets(settings.notify_urls):
                    stream.add_secret(url)
            code = COMMANDS[args.command](args, settings, stdout, stderr)
        stdout.flush()
        return code
    except SystemExit:
        raise  # argparse: --help, or a usage error it has already printed (exit 2)
    except BaseException as exc:  # noqa: BLE001 - the one place where errors become a line
        code, line = describe(exc, database=database)
        if isinstance(exc, BrokenPipeError):
            quiet_stdout(raw_out)
        if line:
            try:
                print(f"error: {line}" if code != 130 else line, file=stderr, flush=True)
            except (OSError, ValueError):
                pass  # stderr is gone too: the exit code says it
        return code
