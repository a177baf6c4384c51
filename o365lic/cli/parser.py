"""The command line's parser: every command, its arguments and help texts (SPEC section 7).

:func:`build_parser` builds it; the handlers live in :mod:`o365lic.cli.tenants`,
:mod:`o365lic.cli.commands`, :mod:`o365lic.cli.downloads` and :mod:`o365lic.cli.reporting`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from o365lic.cli import downloads, reporting
from o365lic.cli.common import TENANT_HELP, interval_minutes, port_number, positive_int
from o365lic.store.integrations import MAX_INTERVAL_MINUTES
from o365lic.wording import DISCONNECT_LABELS

__all__ = ["DESCRIPTION", "EPILOG", "build_parser"]

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

def build_parser() -> argparse.ArgumentParser:
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
    reporting.add_parsers(commands, export)
    downloads.add_parsers(commands, export)

    audit = commands.add_parser(
        "audit", help="the audit log as CSV: who changed what, when (newest first)",
        description="Connect, match, disconnect, pause, resume, interval, sync settings, security settings, "
                    "roles and groups, with who did it (cli:<user> from the command line) and when (UTC).")
    audit.add_argument("--limit", type=positive_int, default=500, metavar="N", help="at most N entries (default 500)")

    # New commands: add a parser above and a handler to o365lic.cli.COMMANDS; errors are worded
    # in o365lic/cli/errors.py, so a handler just raises.
    return parser
